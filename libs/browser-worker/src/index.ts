export { browserHost } from './browser-host';
export { BROWSER_BACKENDS, pickBackend } from './pick-backend';
export type { BrowserBackend } from './pick-backend';

import { describe, expect, it } from 'vitest';
import { mayHaveHardwareGpu } from './webgpu-device';

describe('mayHaveHardwareGpu', () => {
  it('does not count software Vulkan drivers as a GPU', () => {
    if (process.platform !== 'linux') return;
    expect(mayHaveHardwareGpu({ VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' })).toBe(false);
    expect(mayHaveHardwareGpu({ VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json' })).toBe(false);
    expect(mayHaveHardwareGpu({ VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/nvidia_icd.json' })).toBe(true);
  });
});

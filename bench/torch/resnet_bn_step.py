"""PyTorch peer of models/resnet-bn/model.json: the same layers (3x3 convs without bias, batch norm,
ReLU, residual adds, 2x2 max pools, a separable conv as depthwise + pointwise, global average pool,
dropout, linear), batch 64 of random 28x28 grey images, Adam lr 1e-3, one process. Prints one JSON
line: samples_per_s, ms_per_step. Run: /usr/bin/python3 bench/torch/resnet_bn_step.py [--steps 30] [--threads 1]
"""
import argparse, json, time
import torch
from torch import nn


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU())


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = conv_bn_relu(c, c)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c, eps=1e-3, momentum=0.01))

    def forward(self, x):
        return torch.relu(self.b(self.a(x)) + x)


class ResnetBn(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_relu(1, 32), nn.MaxPool2d(2),
            conv_bn_relu(32, 64), Residual(64), nn.MaxPool2d(2),
            conv_bn_relu(64, 128), Residual(128),
            nn.Conv2d(128, 128, 3, padding=1, groups=128, bias=False), nn.Conv2d(128, 512, 1, bias=False),
            nn.BatchNorm2d(512, eps=1e-3, momentum=0.01), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(512, 10))

    def forward(self, x):
        return self.body(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--batch', type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ResnetBn()
    params = sum(t.numel() for t in model.parameters()) + sum(b.numel() for n, b in model.named_buffers() if 'running' in n)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    pool = [(torch.rand(a.batch, 1, 28, 28), torch.randint(0, 10, (a.batch,))) for _ in range(8)]
    model.train()

    def step(i):
        x, y = pool[i % len(pool)]
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    for i in range(5):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        step(i)
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    print(json.dumps({'model': 'resnet-bn', 'weights': params, 'threads': a.threads, 'batch': a.batch, 'steps': a.steps, 'ms_per_step': round(ms, 2), 'samples_per_s': round(a.batch * 1000 / ms, 1), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()

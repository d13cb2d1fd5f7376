"""GAN training throughput: ``dlvision.gan.training.train`` against PyTorch's DCGAN example loop.

The reference is the loop of ``examples/dcgan/main.py`` (PyTorch examples), on the same
networks, data and batch: ``BCELoss`` with label tensors, D on a real batch then on a detached
fake batch, then G through D on the same fake batch. ``train`` differs where the course asks
for more: fresh noise for G's update, a history of four numbers per step, snapshots of a fixed
noise batch, and the checks that stop a diverged run. Both run ``--steps`` steps, taking turns
``--repeats`` times in this one process; the table gives the median steps per second and the
ratio (train / reference; ≥ 1 means train is no slower). Not a test: timings depend on the
machine, so nothing is asserted.

    .venv/bin/python benchmarks/gan_training.py                       # the mini default run
    .venv/bin/python benchmarks/gan_training.py --ngf 32 --ndf 32 --batch-size 128 --threads 1
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch
from timing import interleaved  # benchmarks/ is on the path when run as a script
from torch import nn

from dlvision.data import celeba
from dlvision.gan import Discriminator, Generator
from dlvision.gan.runs import MINI_DEFAULT
from dlvision.gan.training import train


def reference_loop(config, data, steps: int) -> None:
    """PyTorch's DCGAN example, step for step (one epoch's batches, in order, are enough)."""
    torch.manual_seed(config.seed)
    netG = Generator(config.nz, config.ngf, data.images.shape[1], config.size)
    netD = Discriminator(config.ndf, data.images.shape[1], config.size)
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=config.lr_d, betas=(config.beta1, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=config.lr_g, betas=(config.beta1, 0.999))
    real_label, fake_label = 1.0, 0.0
    order = torch.randperm(len(data))
    per_epoch = len(data) // config.batch_size
    for i in range(steps):
        idx = order[(i % per_epoch) * config.batch_size:(i % per_epoch + 1) * config.batch_size]
        real = data.images[idx]
        b_size = real.size(0)
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        label = torch.full((b_size,), real_label)
        output = netD(real)
        errD_real = criterion(output, label)
        errD_real.backward()
        noise = torch.randn(b_size, config.nz, 1, 1)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optimizerD.step()
        # (2) Update G: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ngf", type=int, default=MINI_DEFAULT.ngf)
    parser.add_argument("--ndf", type=int, default=MINI_DEFAULT.ndf)
    parser.add_argument("--batch-size", type=int, default=MINI_DEFAULT.batch_size)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = celeba(size=32, profile="mini")
    # PyTorch's loop has no label smoothing: both loops use real label 1, the same work.
    config = MINI_DEFAULT.with_(ngf=args.ngf, ndf=args.ndf, batch_size=args.batch_size,
                                steps=args.steps, shift=0, real_label=1.0,
                                snapshots=(args.steps,))
    runs = {"reference": lambda: reference_loop(config, data, args.steps),
            "train": lambda: train(config, data, progress=False, device="cpu")}
    times, _ = interleaved(runs, args.repeats)
    rates = {name: args.steps / statistics.median(t) for name, t in times.items()}
    result = {"workload": f"ngf={args.ngf} ndf={args.ndf} batch={args.batch_size}",
              "threads": torch.get_num_threads(), "steps": args.steps,
              "repeats": args.repeats, "steps_per_second": rates,
              "ratio": rates["train"] / rates["reference"]}
    print(f"{result['workload']}, {result['threads']} threads, {args.steps} steps, median of "
          f"{args.repeats}:")
    for name, rate in rates.items():
        print(f"  {name:<10} {rate:7.2f} steps/s")
    print(f"  train / reference: {result['ratio']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()

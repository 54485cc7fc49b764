"""Attention kernels at the UWP model's sizes: PyTorch's fused CPU attention vs motiongen's ``attend``.

Times forward + backward under bf16 autocast (what a training step runs) for
- the trunk's global attention: 32 clips × 4 heads × 150 frames × 96 channels, no mask;
- the cross-local attention: 64 token sets (2 tasks × 32 clips) × 4 heads × 150 frames × 96
  channels with the block-local mask (window 15, one block back and forward);
- both again on a padded batch of whole takes (clips of 30-150 real frames): the trunk with the
  per-clip key padding mask, the cross-local attention with the padding added to its local mask.

"fused fp32 flash" is ``scaled_dot_product_attention`` on float32 copies (its fastest CPU path for
these sizes); "fused bf16" is the same call on bf16 inputs; "attend" is
:func:`motiongen.model.attention.attend` (bf16 batched products, mask fused into ``baddbmm``).

    python tools/bench_attention.py [--threads 2] [--repeats 8]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from motiongen.model.attention import LocalWindow, attend, key_padding_bias, padded_local_bias


def fused_fp32(query, key, value, mask):
    with torch.autocast("cpu", enabled=False):
        return F.scaled_dot_product_attention(query.float(), key.float(), value.float(), attn_mask=mask)


def fused_bf16(query, key, value, mask):
    return F.scaled_dot_product_attention(query, key, value, attn_mask=mask)


def time_forward_backward(function, inputs, repeats: int) -> float:
    """Median milliseconds of ``function(*inputs)`` forward + backward (two untimed warm-up runs)."""
    gradient = None
    durations = []
    for run in range(repeats + 2):
        started = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = function(*inputs)
        if gradient is None:
            gradient = torch.randn_like(out)
        out.backward(gradient.to(out.dtype))
        if run >= 2:
            durations.append(time.perf_counter() - started)
        for tensor in inputs[:3]:
            tensor.grad = None
    return 1000 * statistics.median(durations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    window = LocalWindow(15, 1, 1)
    cases = [("trunk global", (32, 4, 150, 96), False, False), ("cross-local masked", (64, 4, 150, 96), True, False),
             ("trunk padded", (32, 4, 150, 96), False, True), ("cross-local padded", (64, 4, 150, 96), True, True)]
    print(f"torch {torch.__version__}, {args.threads} threads, forward + backward under bf16 autocast, median of {args.repeats}")
    for name, shape, local, padded in cases:
        q, k, v = (torch.randn(shape, dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
        frames = shape[2]
        bias = window.bias(frames, dtype=torch.bfloat16) if local else None
        if padded:
            lengths = torch.randint(30, frames + 1, (shape[0],), generator=torch.Generator().manual_seed(1))
            valid = torch.arange(frames) < lengths[:, None]
            bias = padded_local_bias(bias, valid) if local else key_padding_bias(valid, torch.bfloat16)
        mask = None if bias is None else bias == 0  # the same pattern as a boolean mask (True = attend)
        fp32 = time_forward_backward(fused_fp32, (q, k, v, mask), args.repeats)
        bf16 = time_forward_backward(fused_bf16, (q, k, v, mask), args.repeats)
        ours = time_forward_backward(attend, (q, k, v, bias), args.repeats)
        print(f"{name:>18} {shape}: fused fp32 flash {fp32:7.1f} ms | fused bf16 {bf16:7.1f} ms | attend {ours:7.1f} ms "
              f"({fp32 / ours:.1f}x vs fp32 flash)")


if __name__ == "__main__":
    main()

"""PyTorch CPU reference for benches/clip.rs: the same ViT-B/32 image tower (random weights, frozen),
forward and forward + backward w.r.t. the pixels, batch 65 at 224x224, 2 threads.

    pip install torch transformers   # CPU is enough
    python benches/clip_torch.py [--batch 65] [--iters 3] [--threads 2]
"""
import argparse, time
import torch
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=65)
p.add_argument("--iters", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
cfg = CLIPVisionConfig(image_size=224, patch_size=32, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                       num_attention_heads=12, projection_dim=512)
model = CLIPVisionModelWithProjection(cfg).eval()
for prm in model.parameters():
    prm.requires_grad_(False)
x = torch.rand(a.batch, 3, 224, 224) * 2 - 1


def median(run):
    run()
    ts = []
    for _ in range(a.iters):
        t = time.perf_counter(); run(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]


def fwd():
    with torch.no_grad():
        model(pixel_values=x).image_embeds


def fwd_bwd():
    xx = x.clone().requires_grad_(True)
    model(pixel_values=xx).image_embeds.pow(2).sum().backward()


f, fb = median(fwd), median(fwd_bwd)
print(f"| pytorch {torch.__version__} cpu ({a.threads} threads, {model.config._attn_implementation}) | {a.batch} | {f:.2f} | {fb:.2f} |")

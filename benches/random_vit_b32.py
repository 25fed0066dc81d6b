"""A ViT-B/32-shaped CLIP with random weights, in the HuggingFace layout clipvg loads
(config.json + model.safetensors; without a tokenizer.json clipvg uses its embedded copy of
CLIP's), for timing whole edits where the real
checkpoint cannot be downloaded (the cost does not depend on the weights' values).

    pip install torch transformers
    python benches/random_vit_b32.py OUT_DIR
    /usr/bin/time -v clipvg edit examples/horseriding.svg -o /tmp/o.svg \\
        --roi-box "20,175,480,325=a metal horse" --preset fast --model OUT_DIR
"""
import sys
from pathlib import Path

import torch
from transformers import CLIPConfig, CLIPModel

out = Path(sys.argv[1])
torch.manual_seed(0)
model = CLIPModel(CLIPConfig())  # the defaults are openai/clip-vit-base-patch32's shapes
model.save_pretrained(out, safe_serialization=True)
print(out)

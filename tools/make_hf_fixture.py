#!/usr/bin/python3
"""Hugging Face fixtures and checks for //ijepa/checkpoint's safetensors and IJepaModel code.

Run by hand, never in the build: it needs pip's `transformers` and `safetensors` (and a torch new
enough for them), installed in a throwaway folder, never into the product's path, e.g.

    python3 -m pip install --target /tmp/hfpy --no-deps transformers==5.25.0 safetensors==0.8.0 \
        huggingface_hub tokenizers packaging tqdm regex hf-xet httpx httpcore h11 anyio sniffio \
        idna certifi typer click shellingham rich httpx2 httpcore2 truststore
    export PYTHONPATH=/tmp/hfpy:/opt/ijepa-cc/python-torch-2.11.0   # tools/setup.sh --torch2-python

Modes:
  --make [DIR]   (default ijepa/checkpoint/testdata) writes DIR/hf_tiny/ (config.json and
                 model.safetensors from transformers' own save_pretrained, of a small random
                 IJepaModel) and DIR/hf_tiny_features.safetensors (fixed images and the model's
                 last_hidden_state: 4 images at the native 16x16, and 2 at 24x24 with
                 interpolate_pos_encoding=True), written by the reference safetensors writer.
  --corpus [DIR] (default ijepa/checkpoint/testdata/safetensors_corpus) writes the seed corpus of
                 //ijepa/checkpoint:safetensors_fuzz_test: valid files from the reference writer
                 (every dtype, empty and 0-dim tensors, metadata) and broken copies of them.
  --check DIR    loads DIR (a folder written by our convert_checkpoint --to=hf) with
                 IJepaModel.from_pretrained and fails on any missing, unexpected or mismatched
                 weight or loading warning; then compares its features with
                   --features FILE        (a features file of --make: same images), and/or
                   --checkpoint CKPT      (a torch.save checkpoint of this project or the official
                                           code, --which target_encoder|encoder, --official PATH
                                           to facebookresearch/ijepa: features of the official
                                           VisionTransformer with that state dict on random
                                           images of the folder's size).
"""

import argparse
import functools
import json
import logging
import os
import sys

import torch

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            image_size=16, patch_size=4, num_channels=3,
            # The official LayerNorm eps; IJepaConfig's default is 1e-12.
            layer_norm_eps=1e-6)


def make(out_dir):
    from transformers import IJepaConfig, IJepaModel
    from safetensors.torch import save_file
    torch.manual_seed(17)
    model = IJepaModel(IJepaConfig(**TINY)).eval()
    # transformers initialises biases to 0 and LayerNorms to 1/0: perturb every parameter so the
    # C++ side is checked on all of them (a swapped query/key or a dropped bias shows).
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    folder = os.path.join(out_dir, 'hf_tiny')
    model.save_pretrained(folder)
    g = torch.Generator().manual_seed(18)
    images16 = torch.randn(4, 3, 16, 16, generator=g)
    images24 = torch.randn(2, 3, 24, 24, generator=g)
    with torch.no_grad():
        f16 = model(images16).last_hidden_state
        f24 = model(images24, interpolate_pos_encoding=True).last_hidden_state
    save_file({'images_16': images16, 'features_16': f16.contiguous(), 'images_24': images24,
               'features_24': f24.contiguous()},
              os.path.join(out_dir, 'hf_tiny_features.safetensors'), metadata={'format': 'pt'})
    for name in sorted(os.listdir(folder)):
        print(f'{folder}/{name}: {os.path.getsize(os.path.join(folder, name))} bytes')
    print(f'features: {tuple(f16.shape)} and {tuple(f24.shape)}')


def corpus(out_dir):
    from safetensors.torch import save
    os.makedirs(out_dir, exist_ok=True)
    base = torch.arange(12, dtype=torch.float64).reshape(3, 4) - 5.5
    valid = {
        'valid_dtypes': {f't_{d}'.replace('torch.', ''): base.abs().to(d) for d in
                         (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8,
                          torch.uint8, torch.int16, torch.int32, torch.int64)} | {'b': base > 0},
        'valid_shapes': {'scalar': torch.tensor(2.5), 'empty': torch.zeros(0, 3), 'v': torch.ones(5)},
        'valid_empty': {},
    }
    written = {}
    for name, tensors in valid.items():
        data = save(tensors, metadata={'format': 'pt'} if name != 'valid_empty' else None)
        written[name] = data
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)
    d = written['valid_dtypes']
    n = int.from_bytes(d[:8], 'little')
    header = d[8:8 + n]
    broken = {
        'broken_truncated': d[:-3],
        'broken_header_too_long': (n + 10 ** 6).to_bytes(8, 'little') + d[8:],
        'broken_header_over_cap': (2 ** 40).to_bytes(8, 'little') + d[8:],
        'broken_json': d[:8] + header.replace(b'"', b"'", 1) + d[8 + n:],
        'broken_dtype': d[:8] + header.replace(b'"F32"', b'"F99"') + d[8 + n:],
        'broken_shape': d[:8] + header.replace(b'[3,4]', b'[4,4]', 1) + d[8 + n:],
        'broken_duplicate': d[:8] + header.replace(b'"t_float64"', b'"t_float32"') + d[8 + n:],
        'broken_trailing': d + b'\0' * 8,
        'broken_short': d[:5],
    }
    for name, data in broken.items():
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)
    print(f'{len(valid) + len(broken)} files in {out_dir}')


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


def official_model(checkpoint, which, official, config):
    sys.path.insert(0, official)
    from src.models.vision_transformer import VisionTransformer
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)[which]
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    model = VisionTransformer(img_size=[config['image_size']], patch_size=config['patch_size'],
                              in_chans=config['num_channels'], embed_dim=config['hidden_size'],
                              depth=config['num_hidden_layers'], num_heads=config['num_attention_heads'],
                              mlp_ratio=config['intermediate_size'] / config['hidden_size'],
                              qkv_bias=config['qkv_bias'],
                              # What the official named models (vit_tiny ... vit_giant) pass; the
                              # class's own default is nn.LayerNorm's eps 1e-5.
                              norm_layer=functools.partial(torch.nn.LayerNorm, eps=1e-6)).eval()
    print(f'official VisionTransformer.load_state_dict({which}): {model.load_state_dict(state, strict=True)}')
    return model


def check(folder, features_file, checkpoint, which, official, attn):
    # transformers 5 turns on Hub kernels by default and then requires the `kernels` package (and
    # network); plain PyTorch layers are what is being checked here.
    os.environ.setdefault('USE_HUB_KERNELS', '0')
    import transformers
    from transformers import IJepaModel
    transformers.logging.set_verbosity_warning()
    capture = _Capture()
    transformers.logging.get_logger().addHandler(capture)
    model, info = IJepaModel.from_pretrained(folder, output_loading_info=True, attn_implementation=attn)
    model.eval()
    print(f'transformers {transformers.__version__}, torch {torch.__version__}: from_pretrained({folder}, '
          f'attn_implementation={attn})')
    print(f'  loading info: {info}')
    print(f'  warnings logged: {capture.records}')
    bad = any(info.get(k) for k in ('missing_keys', 'unexpected_keys', 'mismatched_keys', 'error_msgs'))
    if bad or capture.records:
        print('FAIL: transformers did not load the folder cleanly')
        return 1
    worst = 0.0
    if features_file:
        from safetensors.torch import load_file
        ref = load_file(features_file)
        with torch.no_grad():
            f16 = model(ref['images_16']).last_hidden_state
            f24 = model(ref['images_24'], interpolate_pos_encoding=True).last_hidden_state
        for name, got, want in (('16x16', f16, ref['features_16']), ('24x24 interpolated', f24, ref['features_24'])):
            diff = (got - want).abs().max().item()
            worst = max(worst, diff)
            print(f'  {name}: max |transformers(folder) - fixture| = {diff:.3e} over {tuple(got.shape)}')
    if checkpoint:
        config = json.load(open(os.path.join(folder, 'config.json')))
        size = config['image_size']
        images = torch.randn(4, config['num_channels'], size, size, generator=torch.Generator().manual_seed(3))
        reference = official_model(checkpoint, which, official, config)
        # float32 is what users run; float64 separates the mapping (exact up to rounding) from the
        # two implementations' float32 kernels (fused attention, summation order).
        for dtype in (torch.float32, torch.float64):
            with torch.no_grad():
                want = reference.to(dtype)(images.to(dtype))
                got = model.to(dtype)(images.to(dtype)).last_hidden_state
            diff = (got - want).abs().max().item()
            if dtype == torch.float32:
                worst = max(worst, diff)
            print(f'  {str(dtype)[6:]}: max |transformers(folder) - official VisionTransformer({which} of '
                  f'{checkpoint})| = {diff:.3e} over {tuple(got.shape)}, features up to {want.abs().max().item():.3g}')
    if worst > 1e-5:
        print(f'FAIL: features differ by {worst:.3e} > 1e-5')
        return 1
    print('OK')
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--make', nargs='?', const='ijepa/checkpoint/testdata')
    parser.add_argument('--corpus', nargs='?', const='ijepa/checkpoint/testdata/safetensors_corpus')
    parser.add_argument('--check')
    parser.add_argument('--features')
    parser.add_argument('--checkpoint')
    parser.add_argument('--which', default='target_encoder', choices=['target_encoder', 'encoder'])
    parser.add_argument('--official', default='/work/official/ijepa')
    parser.add_argument('--attn', default='eager', choices=['eager', 'sdpa'],
                        help="transformers' attention for --check: 'eager' is the official formula "
                             "(matmul, softmax, matmul), 'sdpa' PyTorch's fused kernel")
    args = parser.parse_args()
    if args.make:
        make(args.make)
    if args.corpus:
        corpus(args.corpus)
    if args.check:
        return check(args.check, args.features, args.checkpoint, args.which, args.official, args.attn)
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
"""Writes ijepa/models/testdata/model_fixture.pt, the parity fixture of //ijepa/models.

Run by hand with Debian's python3-torch (torch 1.13); never part of the build or test path:

    /usr/bin/python3 tools/make_model_fixture.py --official=/path/to/ijepa \
        [--out ijepa/models/testdata/model_fixture.pt]

The reference outputs come from the official model code itself (facebookresearch/ijepa
src/models/vision_transformer.py, imported from --official, never copied): its
`VisionTransformer` and `vit_predictor` at a tiny size, with the layer settings of its named
models (mlp_ratio 4, qkv_bias, LayerNorm eps 1e-6). What the official code does not have:
  - features of the last k blocks (our ForwardLastBlocks, used by the probes): forward hooks
    record the official blocks' outputs, each put through the official final `norm`;
  - position embeddings for another image size: the official `interpolate_pos_encoding` treats
    the first token as a CLS token, which these models do not have, and raises for them
    (ijepa issue #42). That one method is replaced by the fix this project implements (the whole
    grid resized with torch's bicubic F.interpolate); everything around it stays official.

A tiny configuration gets random weights (every parameter, biases and LayerNorm affine included,
so parity checks all of them; the fixed sin-cos tables are the official ones), fixed images and
masks, and the reference outputs are computed.

Format: LibTorch 1.13's torch::pickle_load cannot read a Python torch.save dict, so the tensors
are the buffers of a TorchScript module (torch.jit.save), which C++ reads with torch::jit::load.
Buffer names are '<kind>__<name>' with the dots of state_dict keys written as '__':
  cfg__*   int64 scalars: the model configuration
  w__*     the state_dict (encoder keys as is, predictor keys prefixed 'pred__')
  in__*    images and masks; out__* reference outputs.
"""

import argparse
import functools
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = dict(img_size=32, patch_size=4, in_chans=3, embed_dim=64, depth=2, num_heads=2,
              pred_embed_dim=32, pred_depth=2, batch=2, interp_img_size=40, last_k=2)


def resize_whole_grid(self, x, pos_embed):
    """The fixed interpolate_pos_encoding: no CLS token, the whole grid resized bicubically."""
    npatch, n = x.shape[1], pos_embed.shape[1]
    if npatch == n:
        return pos_embed
    dim, side, new_side = x.shape[-1], int(math.sqrt(n)), int(math.sqrt(npatch))
    grid = pos_embed.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new_side, new_side), mode='bicubic', align_corners=False)
    return grid.permute(0, 2, 3, 1).reshape(1, -1, dim)


def last_blocks(encoder, x, k):
    """Outputs of the official encoder's last k blocks, each through its final norm."""
    outputs = []
    hooks = [blk.register_forward_hook(lambda m, i, o: outputs.append(o))
             for blk in encoder.blocks[-k:]]
    try:
        encoder(x)
    finally:
        for h in hooks:
            h.remove()
    return [encoder.norm(o) for o in outputs]


# --- Fixture. ------------------------------------------------------------------------------------

class Holder(nn.Module):
    def __init__(self, tensors):
        super().__init__()
        for name, tensor in tensors.items():
            self.register_buffer(name.replace('.', '__'), tensor.detach().clone().contiguous())

    def forward(self) -> int:
        return 0


def randomize(module, generator):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith('pos_embed'):
                continue  # fixed sin-cos tables are part of what C++ must reproduce
            p.copy_(0.2 * torch.randn(p.shape, generator=generator))


def sorted_indices(generator, batch, num_patches, keep):
    return torch.stack([torch.randperm(num_patches, generator=generator)[:keep].sort().values
                        for _ in range(batch)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument('--out', default=os.path.join(here, '..', 'ijepa', 'models', 'testdata',
                                                      'model_fixture.pt'))
    parser.add_argument('--official', required=True, help='checkout of facebookresearch/ijepa')
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.official, 'src', 'models', 'vision_transformer.py')):
        sys.exit('--official=%s: no src/models/vision_transformer.py' % args.official)
    sys.path.insert(0, os.path.abspath(args.official))
    import src.models.vision_transformer as vit

    c = CONFIG
    gen = torch.Generator().manual_seed(1234)
    encoder = vit.VisionTransformer(
        img_size=[c['img_size']], patch_size=c['patch_size'], in_chans=c['in_chans'],
        embed_dim=c['embed_dim'], depth=c['depth'], num_heads=c['num_heads'], mlp_ratio=4,
        qkv_bias=True, norm_layer=functools.partial(nn.LayerNorm, eps=1e-6))
    encoder.interpolate_pos_encoding = resize_whole_grid.__get__(encoder)
    num_patches = encoder.patch_embed.num_patches
    predictor = vit.vit_predictor(num_patches=num_patches, embed_dim=c['embed_dim'],
                                  predictor_embed_dim=c['pred_embed_dim'], depth=c['pred_depth'],
                                  num_heads=c['num_heads'])
    randomize(encoder, gen)
    randomize(predictor, gen)
    encoder.eval()
    predictor.eval()

    b = c['batch']
    images = torch.randn(b, c['in_chans'], c['img_size'], c['img_size'], generator=gen)
    big = torch.randn(b, c['in_chans'], c['interp_img_size'], c['interp_img_size'], generator=gen)
    enc_masks = [sorted_indices(gen, b, num_patches, 20) for _ in range(2)]
    pred_masks = [sorted_indices(gen, b, num_patches, 6) for _ in range(3)]

    with torch.no_grad():
        full = encoder(images)
        masked = encoder(images, enc_masks)
        interp = encoder(big)
        last = last_blocks(encoder, images, c['last_k'])
        pred = predictor(masked, enc_masks, pred_masks)

    tensors = {'cfg.' + k: torch.tensor(v, dtype=torch.int64) for k, v in c.items()}
    tensors['cfg.num_enc_masks'] = torch.tensor(len(enc_masks))
    tensors['cfg.num_pred_masks'] = torch.tensor(len(pred_masks))
    for k, v in encoder.state_dict().items():
        tensors['w.' + k] = v
    for k, v in predictor.state_dict().items():
        tensors['w.pred.' + k] = v
    tensors['in.images'] = images
    tensors['in.images_interp'] = big
    for i, m in enumerate(enc_masks):
        tensors['in.enc_mask_%d' % i] = m
    for i, m in enumerate(pred_masks):
        tensors['in.pred_mask_%d' % i] = m
    tensors['out.encoder_full'] = full
    tensors['out.encoder_masked'] = masked
    tensors['out.encoder_interp'] = interp
    for i, t in enumerate(last):
        tensors['out.last_block_%d' % i] = t
    tensors['out.predictor'] = pred

    for name in tensors:
        assert '__' not in name, name  # '__' encodes '.'
    torch.jit.save(torch.jit.script(Holder(tensors)), args.out)
    print('wrote %s (%d bytes, %d tensors)' % (args.out, os.path.getsize(args.out), len(tensors)))


if __name__ == '__main__':
    main()

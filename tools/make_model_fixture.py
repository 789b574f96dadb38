#!/usr/bin/python3
"""Writes ijepa/models/testdata/model_fixture.pt, the parity fixture of //ijepa/models.

Run by hand with Debian's python3-torch (torch 1.13); never part of the build or test path:

    /usr/bin/python3 tools/make_model_fixture.py [--out ijepa/models/testdata/model_fixture.pt]

The model code below re-implements the official I-JEPA definitions
(facebookresearch/ijepa src/models/vision_transformer.py, src/masks/utils.py,
src/utils/tensors.py): same layers, same parameter names, same forward arithmetic. The one
deliberate difference is position-embedding interpolation, which here resizes the whole grid
bicubically instead of treating the first token as a CLS token (ijepa issue #42).

A tiny configuration gets random weights (every parameter, biases and LayerNorm affine included,
so parity checks all of them), fixed images and masks, and the reference outputs are computed.

Format: LibTorch 1.13's torch::pickle_load cannot read a Python torch.save dict, so the tensors
are the buffers of a TorchScript module (torch.jit.save), which C++ reads with torch::jit::load.
Buffer names are '<kind>__<name>' with the dots of state_dict keys written as '__':
  cfg__*   int64 scalars: the model configuration
  w__*     the state_dict (encoder keys as is, predictor keys prefixed 'pred__')
  in__*    images and masks; out__* reference outputs.
"""

import argparse
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = dict(img_size=32, patch_size=4, in_chans=3, embed_dim=64, depth=2, num_heads=2,
              pred_embed_dim=32, pred_depth=2, batch=2, interp_img_size=40, last_k=2)


# --- Re-implementation of the official model definitions. -----------------------------------------

def sincos_1d(dim, pos):
    omega = np.arange(dim // 2, dtype=float) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = np.einsum('m,d->md', pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim, grid_size):
    coords = np.arange(grid_size, dtype=float)
    grid = np.stack(np.meshgrid(coords, coords), axis=0)  # grid[0]: column, grid[1]: row
    grid = grid.reshape([2, 1, grid_size, grid_size])
    return np.concatenate([sincos_1d(dim // 2, grid[0]), sincos_1d(dim // 2, grid[1])], axis=1)


def apply_masks(x, masks):
    out = []
    for m in masks:
        out.append(torch.gather(x, 1, m.unsqueeze(-1).repeat(1, 1, x.size(-1))))
    return torch.cat(out, dim=0)


def repeat_interleave_batch(x, batch, repeat):
    chunks = len(x) // batch
    return torch.cat([torch.cat([x[i * batch:(i + 1) * batch]] * repeat, dim=0)
                      for i in range(chunks)], dim=0)


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class MLP(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MLP(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size, in_chans, embed_dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depth, num_heads):
        super().__init__()
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        self.grid = img_size // patch_size
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid ** 2, embed_dim), requires_grad=False)
        self.pos_embed.data.copy_(torch.from_numpy(sincos_2d(embed_dim, self.grid)).float().unsqueeze(0))
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)

    def pos_encoding(self, x):
        n = x.shape[1]
        if n == self.pos_embed.shape[1]:
            return self.pos_embed
        side = int(math.sqrt(n))
        dim = x.shape[-1]
        grid = self.pos_embed.reshape(1, self.grid, self.grid, dim).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(side, side), mode='bicubic', align_corners=False)
        return grid.permute(0, 2, 3, 1).reshape(1, -1, dim)

    def embed(self, x):
        x = self.patch_embed(x)
        return x + self.pos_encoding(x)

    def forward(self, x, masks=None):
        x = self.embed(x)
        if masks is not None:
            x = apply_masks(x, masks)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)

    def last_blocks(self, x, k):
        x = self.embed(x)
        outs = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if i >= len(self.blocks) - k:
                outs.append(self.norm(x))
        return outs


class Predictor(nn.Module):
    def __init__(self, num_patches, embed_dim, predictor_embed_dim, depth, num_heads):
        super().__init__()
        self.predictor_embed = nn.Linear(embed_dim, predictor_embed_dim, bias=True)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, predictor_embed_dim))
        self.predictor_pos_embed = nn.Parameter(torch.zeros(1, num_patches, predictor_embed_dim),
                                                requires_grad=False)
        pos = sincos_2d(predictor_embed_dim, int(num_patches ** 0.5))
        self.predictor_pos_embed.data.copy_(torch.from_numpy(pos).float().unsqueeze(0))
        self.predictor_blocks = nn.ModuleList([Block(predictor_embed_dim, num_heads) for _ in range(depth)])
        self.predictor_norm = nn.LayerNorm(predictor_embed_dim, eps=1e-6)
        self.predictor_proj = nn.Linear(predictor_embed_dim, embed_dim, bias=True)

    def forward(self, x, masks_x, masks):
        batch = len(x) // len(masks_x)
        x = self.predictor_embed(x)
        x = x + apply_masks(self.predictor_pos_embed.repeat(batch, 1, 1), masks_x)
        n_ctxt = x.shape[1]
        pos_embs = apply_masks(self.predictor_pos_embed.repeat(batch, 1, 1), masks)
        pos_embs = repeat_interleave_batch(pos_embs, batch, repeat=len(masks_x))
        pred_tokens = self.mask_token.repeat(pos_embs.size(0), pos_embs.size(1), 1) + pos_embs
        x = torch.cat([x.repeat(len(masks), 1, 1), pred_tokens], dim=1)
        for blk in self.predictor_blocks:
            x = blk(x)
        x = self.predictor_norm(x)
        return self.predictor_proj(x[:, n_ctxt:])


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
    args = parser.parse_args()
    c = CONFIG
    gen = torch.Generator().manual_seed(1234)
    encoder = VisionTransformer(c['img_size'], c['patch_size'], c['in_chans'], c['embed_dim'],
                                c['depth'], c['num_heads'])
    num_patches = (c['img_size'] // c['patch_size']) ** 2
    predictor = Predictor(num_patches, c['embed_dim'], c['pred_embed_dim'], c['pred_depth'],
                          c['num_heads'])
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
        last = encoder.last_blocks(images, c['last_k'])
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

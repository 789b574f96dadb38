#!/usr/bin/python3
"""Writes the test fixtures of //ijepa/checkpoint with Debian's python3-torch.

Run by hand from the repository root (never part of the build):
    /usr/bin/python3 tools/make_checkpoint_fixtures.py --official=/path/to/ijepa ijepa/checkpoint/testdata
    /usr/bin/python3 tools/make_checkpoint_fixtures.py --big vit_huge14_224 /tmp/vith14.pth.tar
(the second writes a full-size official-layout file with random weights, for measurements).

Every tensor value follows a formula the C++ tests recompute exactly:
    value(k, i) = ((7 * i + 13 * k) % 97 - 48) / 16
for element i (row-major over the tensor's logical shape) of the k-th tensor; the values are
exactly representable in float16, bfloat16, float32 and float64. Files:
  official_shapes.txt     key and shape of every state-dict entry of the official ViT-H/14,
                          ViT-H/16-448 and ViT-g/16 checkpoints (encoder and predictor), from the
                          official model classes (--official).
  official_tiny.pth.tar   a tiny I-JEPA encoder/predictor saved exactly as the official
                          save_checkpoint does (DDP `module.` prefixes, OrderedDict state dicts with
                          _metadata, AdamW state with int keys, scaler None).
  tensors.pt              dtypes (fp16, bf16, ...), non-contiguous views and shared storages.
  legacy.pt               the pre-1.6 (non-zip) format.
  big_endian.pt           tensors.pt with a PyTorch 2.1 byteorder record saying 'big'.
  hostile_os_system.pt    a torch.save zip whose pickle calls os.system.
  hostile_eval.pt         the same with builtins.eval.
  truncated.pth.tar       official_tiny.pth.tar cut in half.
  bitflip_data.pth.tar    official_tiny.pth.tar with one bit flipped in a tensor record.
  bitflip_pickle.pth.tar  official_tiny.pth.tar with one bit flipped in data.pkl.
and the fuzz corpus (data.pkl of each file, plus the small files whole) under corpus/.
"""
import collections
import io
import os
import sys
import zipfile

import torch
import torch.nn as nn

# The official I-JEPA module structure (src/models/vision_transformer.py), parameterised, for the
# file-format fixtures (official_tiny.pth.tar and the files derived from it) and --big: only names,
# shapes and the official save_checkpoint's pickle layout matter there, not values (they follow
# the formula). official_shapes.txt, which the C++ models are checked against, comes from the
# official classes themselves (official_shapes below).
IMG, PATCH, CHANS, DIM, DEPTH, HEADS = 8, 4, 3, 8, 2, 2
PRED_DIM, PRED_DEPTH = 4, 1

# name -> (img_size, patch_size, embed_dim, depth, mlp_ratio, pred_emb_dim, pred_depth), from the
# official configs/*.yaml and vit_huge / vit_giant.
OFFICIAL_MODELS = {
    'vit_huge14_224': (224, 14, 1280, 32, 4.0, 384, 12),
    'vit_huge16_448': (448, 16, 1280, 32, 4.0, 384, 12),
    'vit_giant16_224': (224, 16, 1408, 40, 48 / 11, 384, 16),
}


class MLP(nn.Module):
    def __init__(self, dim, hidden, device=None):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden, device=device)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim, device=device)


class Attention(nn.Module):
    def __init__(self, dim, device=None):
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3, bias=True, device=device)
        self.proj = nn.Linear(dim, dim, device=device)


class Block(nn.Module):
    def __init__(self, dim, mlp_ratio=4.0, device=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6, device=device)
        self.attn = Attention(dim, device)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6, device=device)
        self.mlp = MLP(dim, int(dim * mlp_ratio), device)


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim, device=None):
        super().__init__()
        self.proj = nn.Conv2d(CHANS, dim, kernel_size=patch, stride=patch, device=device)


class VisionTransformer(nn.Module):
    def __init__(self, img=IMG, patch=PATCH, dim=DIM, depth=DEPTH, mlp_ratio=4.0, device=None):
        super().__init__()
        num_patches = (img // patch) ** 2
        self.patch_embed = PatchEmbed(patch, dim, device)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches, dim, device=device), requires_grad=False)
        self.blocks = nn.ModuleList([Block(dim, mlp_ratio, device) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6, device=device)


class VisionTransformerPredictor(nn.Module):
    def __init__(self, img=IMG, patch=PATCH, dim=DIM, pred_dim=PRED_DIM, depth=PRED_DEPTH, device=None):
        super().__init__()
        num_patches = (img // patch) ** 2
        self.predictor_embed = nn.Linear(dim, pred_dim, bias=True, device=device)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, pred_dim, device=device))
        self.predictor_pos_embed = nn.Parameter(torch.zeros(1, num_patches, pred_dim, device=device),
                                                requires_grad=False)
        self.predictor_blocks = nn.ModuleList([Block(pred_dim, 4.0, device) for _ in range(depth)])
        self.predictor_norm = nn.LayerNorm(pred_dim, eps=1e-6, device=device)
        self.predictor_proj = nn.Linear(pred_dim, dim, bias=True, device=device)


# name -> (official model, img_size, patch_size, pred_emb_dim, pred_depth) of the official configs.
OFFICIAL_CHECKPOINTS = {
    'vit_huge14_224': ('vit_huge', 224, 14, 384, 12),
    'vit_huge16_448': ('vit_huge', 448, 16, 384, 12),
    'vit_giant16_224': ('vit_giant', 224, 16, 384, 16),
}


def official_shapes(official):
    """Lines 'model section key d0xd1...' for the official checkpoints' state dicts (no prefix),
    from the official model classes themselves (facebookresearch/ijepa, imported from `official`).
    Builds each model on the CPU (ViT-g: about 5 GB of memory for a minute)."""
    sys.path.insert(0, os.path.abspath(official))
    import src.models.vision_transformer as vit
    lines = []
    for name, (model, img, patch, pred_dim, pred_depth) in OFFICIAL_CHECKPOINTS.items():
        with torch.no_grad():
            encoder = vit.__dict__[model](img_size=[img], patch_size=patch)
            predictor = vit.vit_predictor(
                num_patches=encoder.patch_embed.num_patches, embed_dim=encoder.embed_dim,
                predictor_embed_dim=pred_dim, depth=pred_depth, num_heads=encoder.num_heads)
        for section, module in (('encoder', encoder), ('predictor', predictor)):
            for key, t in module.state_dict().items():
                lines.append('%s %s %s %s' % (name, section, key, 'x'.join(str(d) for d in t.shape)))
        del encoder, predictor
    return '\n'.join(lines) + '\n'


class DDP(nn.Module):
    """Stands in for DistributedDataParallel: same `module.` key prefix, same state_dict type."""

    def __init__(self, module):
        super().__init__()
        self.module = module


def formula(k, shape, dtype=torch.float32):
    n = 1
    for s in shape:
        n *= s
    i = torch.arange(n, dtype=torch.int64)
    v = ((7 * i + 13 * k) % 97 - 48).to(torch.float64) / 16
    return v.reshape(shape).to(dtype)


def int_formula(k, shape, dtype, modulus):
    n = 1
    for s in shape:
        n *= s
    i = torch.arange(n, dtype=torch.int64)
    return ((7 * i + 13 * k) % modulus).reshape(shape).to(dtype)


def fill(model, first_k):
    """Sets the k-th state_dict tensor (in state_dict order) to formula(first_k + k)."""
    with torch.no_grad():
        for k, (name, t) in enumerate(model.state_dict(keep_vars=True).items()):
            t.copy_(formula(first_k + k, t.shape))


def official_checkpoint():
    torch.manual_seed(0)
    encoder = DDP(VisionTransformer())
    predictor = DDP(VisionTransformerPredictor())
    target_encoder = DDP(VisionTransformer())
    # The official init_opt parameter groups.
    param_groups = [
        {'params': (p for n, p in encoder.named_parameters() if ('bias' not in n) and (len(p.shape) != 1))},
        {'params': (p for n, p in predictor.named_parameters() if ('bias' not in n) and (len(p.shape) != 1))},
        {'params': (p for n, p in encoder.named_parameters() if ('bias' in n) or (len(p.shape) == 1)),
         'WD_exclude': True, 'weight_decay': 0},
        {'params': (p for n, p in predictor.named_parameters() if ('bias' in n) or (len(p.shape) == 1)),
         'WD_exclude': True, 'weight_decay': 0},
    ]
    optimizer = torch.optim.AdamW(param_groups)
    for p in list(encoder.parameters()) + list(predictor.parameters()):
        if p.requires_grad:
            p.grad = torch.ones_like(p)
    optimizer.step()
    fill(encoder, 0)
    fill(predictor, 100)
    fill(target_encoder, 200)
    # Deterministic optimizer state: exp_avg = formula(1000 + 2p), exp_avg_sq = formula(1001 + 2p),
    # step = p + 1, for the parameter with index p.
    state = optimizer.state_dict()['state']
    index = {}
    for group in optimizer.param_groups:
        for p in group['params']:
            index[id(p)] = len(index)
    with torch.no_grad():
        for group in optimizer.param_groups:
            for p in group['params']:
                if p in optimizer.state:
                    s = optimizer.state[p]
                    k = index[id(p)]
                    s['exp_avg'].copy_(formula(1000 + 2 * k, p.shape))
                    s['exp_avg_sq'].copy_(formula(1001 + 2 * k, p.shape))
                    s['step'].fill_(k + 1)
    # Exactly the official src/train.py save_checkpoint dictionary.
    save_dict = {
        'encoder': encoder.state_dict(),
        'predictor': predictor.state_dict(),
        'target_encoder': target_encoder.state_dict(),
        'opt': optimizer.state_dict(),
        'scaler': None,
        'epoch': 7,
        'loss': 0.125,
        'batch_size': 16,
        'world_size': 1,
        'lr': 0.001,
    }
    assert isinstance(save_dict['encoder'], collections.OrderedDict)
    assert next(iter(save_dict['encoder'])).startswith('module.')
    return save_dict


def tensors_file():
    base = formula(0, (4, 6))
    shared = formula(1, (10,))
    d = collections.OrderedDict()
    d['base'] = base                                # contiguous float32 [4, 6]
    d['transposed'] = base.t()                      # same storage, strides (1, 6)
    d['row'] = base[2]                              # same storage, offset 12
    d['strided'] = base[1:, ::2]                    # offset 6, strides (6, 2)
    d['expanded'] = formula(2, (3,)).expand(2, 3)   # stride 0
    d['shared_a'] = shared[2:5]                     # two views of one storage
    d['shared_b'] = shared.view(2, 5)
    d['half'] = formula(3, (2, 3), torch.float16)
    d['bfloat16'] = formula(4, (3, 2), torch.bfloat16)
    d['double'] = formula(5, (5,), torch.float64)
    d['half_t'] = formula(6, (2, 3), torch.float16).t()
    d['int64'] = int_formula(7, (3, 2), torch.int64, 1000) - 500
    d['int32'] = int_formula(8, (4,), torch.int32, 1000) - 500
    d['int16'] = int_formula(9, (4,), torch.int16, 1000) - 500
    d['int8'] = int_formula(10, (4,), torch.int8, 97) - 48
    d['uint8'] = int_formula(11, (4,), torch.uint8, 251)
    d['bool'] = int_formula(12, (5,), torch.int64, 2).to(torch.bool)
    d['scalar'] = torch.tensor(2.5)
    d['empty'] = torch.zeros(0, 3)
    d['parameter'] = nn.Parameter(formula(13, (2, 2)))
    d['meta'] = {'ints': [1, -2, 300, -70000, 2 ** 40, -(2 ** 62)], 'float': -0.375, 'flags': (True, False, None),
                 'text': 'héllo', 7: 'int key'}
    return d


def data_pkl(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        name = [n for n in z.namelist() if n.endswith('/data.pkl')][0]
        return z.read(name), z


def record_offset(data, suffix):
    """Byte offset of the first byte of the zip record whose name ends with suffix."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = [i for i in z.infolist() if i.filename.endswith(suffix)][0]
        # Local header: 30 bytes + name + extra.
        name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], 'little')
        extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], 'little')
        return info.header_offset + 30 + name_len + extra_len


class System:
    def __reduce__(self):
        return (os.system, ('echo checkpoint-fixture-code-ran > /tmp/ijepa_hostile_ran',))


class Eval:
    def __reduce__(self):
        return (eval, ('__import__("os").system("true")',))


def big_checkpoint(name, path):
    """An official-layout checkpoint of a released model's real size, random weights, empty optimizer
    state: for measuring the C++ reader on realistic files (not a fixture; never committed)."""
    img, patch, dim, depth, mlp_ratio, pred_dim, pred_depth = OFFICIAL_MODELS[name]
    torch.manual_seed(0)
    with torch.no_grad():
        encoder = DDP(VisionTransformer(img, patch, dim, depth, mlp_ratio))
        predictor = DDP(VisionTransformerPredictor(img, patch, dim, pred_dim, pred_depth))
        target_encoder = DDP(VisionTransformer(img, patch, dim, depth, mlp_ratio))
    torch.save({'encoder': encoder.state_dict(), 'predictor': predictor.state_dict(),
                'target_encoder': target_encoder.state_dict(), 'opt': {'state': {}, 'param_groups': []},
                'scaler': None, 'epoch': 300, 'loss': 0.5, 'batch_size': 2048, 'world_size': 16, 'lr': 0.001}, path)
    print('wrote', path)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--big':
        big_checkpoint(sys.argv[2], sys.argv[3])
        return
    args = [a for a in sys.argv[1:] if not a.startswith('--official=')]
    officials = [a[len('--official='):] for a in sys.argv[1:] if a.startswith('--official=')]
    if not officials:
        sys.exit('--official=DIR (a facebookresearch/ijepa checkout) is required: official_shapes.txt '
                 'comes from its model classes')
    out = args[0] if args else 'ijepa/checkpoint/testdata'
    os.makedirs(os.path.join(out, 'corpus'), exist_ok=True)

    def save(name, obj, **kwargs):
        buf = io.BytesIO()
        torch.save(obj, buf, **kwargs)
        data = buf.getvalue()
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
        return data

    def write(name, data):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)

    write('official_shapes.txt', official_shapes(officials[0]).encode())
    official = save('official_tiny.pth.tar', official_checkpoint())
    tensors = save('tensors.pt', tensors_file())
    save('legacy.pt', {'w': formula(0, (2, 2))}, _use_new_zipfile_serialization=False)
    hostile = save('hostile_os_system.pt', {'encoder': System()})
    hostile_eval = save('hostile_eval.pt', {'x': Eval()})
    write('truncated.pth.tar', official[:len(official) // 2])
    flipped = bytearray(official)
    flipped[record_offset(official, '/data/3') + 5] ^= 0x10
    write('bitflip_data.pth.tar', bytes(flipped))
    flipped = bytearray(official)
    flipped[record_offset(official, '/data.pkl') + 200] ^= 0x01
    write('bitflip_pickle.pth.tar', bytes(flipped))

    # A big-endian file as PyTorch >= 2.1 marks it (a byteorder record); the tensors are unchanged.
    with zipfile.ZipFile(io.BytesIO(tensors)) as z, zipfile.ZipFile(os.path.join(out, 'big_endian.pt'), 'w') as w:
        for info in z.infolist():
            w.writestr(info, z.read(info))
        w.writestr('archive/byteorder', 'big')

    # Fuzz corpus: data.pkl alone (the fuzz target's main mode) and whole small archives.
    for name, data in [('official', official), ('tensors', tensors), ('hostile', hostile),
                       ('hostile_eval', hostile_eval)]:
        write(os.path.join('corpus', name + '.pkl'), data_pkl(data)[0])
    write(os.path.join('corpus', 'tensors.zip'), tensors)
    print('fixtures written to', out)


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""Reads a checkpoint with Python's torch.load and summarises or checks it.

    /usr/bin/python3 tools/read_checkpoint.py CKPT                  # summary
    /usr/bin/python3 tools/read_checkpoint.py CKPT --expect=official --formula

--expect=official: exactly the official I-JEPA entries (encoder, predictor, target_encoder, opt,
    scaler, epoch, loss, batch_size, world_size, lr), state-dict keys prefixed with "module.".
--expect=project: the three state dicts without the prefix (other entries allowed).
--formula: the values follow tools/make_checkpoint_fixtures.py's formula: the k-th entry of
    encoder / predictor / target_encoder equals formula(k + 0 / 100 / 200); optimizer state of
    parameter p: exp_avg = formula(1000 + 2p), exp_avg_sq = formula(1001 + 2p), step = p + 1; and
    a 'views' entry, when present, holds the shared-storage / fp16 / bf16 tensors described below.
Exits 0 when every check passes, 1 with a message naming the first failure otherwise.
"""
import argparse
import sys

import torch

OFFICIAL = ['encoder', 'predictor', 'target_encoder', 'opt', 'scaler', 'epoch', 'loss', 'batch_size',
            'world_size', 'lr']
SECTIONS = {'encoder': 0, 'predictor': 100, 'target_encoder': 200}


def formula(k, shape, dtype=torch.float32):
    n = 1
    for s in shape:
        n *= s
    i = torch.arange(n, dtype=torch.int64)
    return (((7 * i + 13 * k) % 97 - 48).to(torch.float64) / 16).reshape(shape).to(dtype)


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_layout(ckpt, expect):
    check(isinstance(ckpt, dict), 'top level is %s, not a dict' % type(ckpt).__name__)
    if expect == 'official':
        check(list(ckpt.keys()) == OFFICIAL, 'entries %s != official %s' % (list(ckpt.keys()), OFFICIAL))
    for section in SECTIONS:
        check(section in ckpt, 'no %s' % section)
        state = ckpt[section]
        check(isinstance(state, dict), '%s is %s' % (section, type(state).__name__))
        for key, value in state.items():
            check(isinstance(value, torch.Tensor), '%s.%s is not a tensor' % (section, key))
            check(key.startswith('module.') == (expect == 'official'),
                  '%s key %r: prefix does not match --expect=%s' % (section, key, expect))


def check_formula(ckpt):
    for section, first_k in SECTIONS.items():
        for k, (key, t) in enumerate(ckpt[section].items()):
            check(torch.equal(t, formula(first_k + k, t.shape)), '%s %s: values differ' % (section, key))
    opt = ckpt.get('opt')
    if opt is not None:
        check(len(opt['state']) > 0, 'opt has no state')
        for p, s in opt['state'].items():
            check(isinstance(p, int), 'opt state key %r is not an int' % (p,))
            check(torch.equal(s['exp_avg'], formula(1000 + 2 * p, s['exp_avg'].shape)), 'opt %d exp_avg' % p)
            check(torch.equal(s['exp_avg_sq'], formula(1001 + 2 * p, s['exp_avg_sq'].shape)), 'opt %d exp_avg_sq' % p)
            check(float(s['step']) == p + 1, 'opt %d step' % p)
        # The official optimizer loads it.
        params = [torch.zeros(1) for group in opt['param_groups'] for _ in group['params']]
        groups = [dict(g, params=[params[i] for i in g['params']]) for g in opt['param_groups']]
        torch.optim.AdamW(groups).load_state_dict(opt)
    views = ckpt.get('views')
    if views is not None:
        # base = formula(0, (4, 6)); transposed = base.t() and row = base[2] share its storage;
        # half = formula(3, (2, 3)) in fp16, bf16 = formula(4, (3, 2)) in bf16, shared_b a view of half.
        base = views['base']
        check(torch.equal(base, formula(0, (4, 6))), 'views.base')
        check(torch.equal(views['transposed'], base.t()), 'views.transposed values')
        check(views['transposed'].stride() == (1, 6), 'views.transposed strides %s' % (views['transposed'].stride(),))
        check(torch.equal(views['row'], base[2]) and views['row'].storage_offset() == 12, 'views.row')
        check(views['transposed'].storage().data_ptr() == base.storage().data_ptr(), 'transposed not shared')
        check(views['row'].storage().data_ptr() == base.storage().data_ptr(), 'row not shared')
        check(views['half'].dtype == torch.float16 and torch.equal(views['half'], formula(3, (2, 3), torch.float16)),
              'views.half')
        check(views['bf16'].dtype == torch.bfloat16 and torch.equal(views['bf16'], formula(4, (3, 2), torch.bfloat16)),
              'views.bf16')


def summary(ckpt):
    if not isinstance(ckpt, dict):
        print(type(ckpt).__name__)
        return
    for key, value in ckpt.items():
        if isinstance(value, dict) and value and all(isinstance(v, torch.Tensor) for v in value.values()):
            n = sum(v.numel() for v in value.values())
            dtypes = sorted({str(v.dtype).replace('torch.', '') for v in value.values()})
            first = next(iter(value))
            print('%-16s state dict: %d tensors, %d values, %s, first key %r' % (key, len(value), n, '/'.join(dtypes),
                                                                                first))
        elif isinstance(value, (int, float, str, bool)) or value is None:
            print('%-16s %r' % (key, value if not isinstance(value, str) or len(value) < 60 else value[:57] + '...'))
        else:
            print('%-16s %s' % (key, type(value).__name__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('path')
    parser.add_argument('--expect', choices=['official', 'project'])
    parser.add_argument('--formula', action='store_true')
    args = parser.parse_args()
    ckpt = torch.load(args.path, map_location='cpu')
    try:
        if args.expect:
            check_layout(ckpt, args.expect)
        if args.formula:
            check_formula(ckpt)
    except CheckFailed as e:
        print('read_checkpoint: %s: %s' % (args.path, e), file=sys.stderr)
        return 1
    summary(ckpt)
    return 0


if __name__ == '__main__':
    sys.exit(main())

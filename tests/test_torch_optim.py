"""Optimizers and learning-rate schedulers against PyTorch, step for step over 20 steps.

Both sides start from the same float64 parameters and are fed the same gradient function of their
own current parameters, so any difference in an update formula, in the order of a schedule's steps,
or in what `last_epoch` means shows up as diverging parameters or learning rates.
"""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

STEPS = 20
P0 = [np.linspace(-1.5, 2.0, 6).reshape(2, 3), np.array([0.3, -0.7])]


def _grad(p):
    # a smooth, non-quadratic landscape: sin(p) p + (p - 1)^2 / 2
    return np.cos(p) * p + np.sin(p) + (p - 1)


def _pair(make_mg, make_torch, sched_mg=None, sched_torch=None, steps=STEPS, params=None):
    params = P0 if params is None else params
    mp = [mg.nn.Parameter(p.copy(), dtype=np.float64) for p in params]
    tp = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    mo, to = make_mg(mp), make_torch(tp)
    ms = sched_mg(mo) if sched_mg else None
    ts = sched_torch(to) if sched_torch else None
    for step in range(steps):
        for a, b in zip(mp, tp):
            a.grad = mg.tensor(_grad(a.data))
            b.grad = torch.tensor(_grad(b.detach().numpy()))
        mo.step()
        to.step()
        if ms:
            ms.step()
            ts.step()
            np.testing.assert_allclose(ms.get_last_lr(), ts.get_last_lr(), rtol=1e-12, atol=1e-15,
                                       err_msg=f"learning rates differ after step {step + 1}")
        for a, b in zip(mp, tp):
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"parameters differ after step {step + 1}")
    return mo, to


OPTIMIZERS = {
    "sgd": (lambda p: mg.optim.SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    "sgd momentum wd dampening": (
        lambda p: mg.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.1),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.1)),
    "sgd nesterov": (lambda p: mg.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    "adam": (lambda p: mg.optim.Adam(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05)),
    "adam wd": (lambda p: mg.optim.Adam(p, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1),
                lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    "adamw": (lambda p: mg.optim.AdamW(p, lr=0.05, weight_decay=0.1),
              lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1)),
    "rmsprop": (lambda p: mg.optim.RMSprop(p), lambda p: torch.optim.RMSprop(p)),
    "rmsprop centered momentum wd": (
        lambda p: mg.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.7, centered=True),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.7,
                                      centered=True)),
    "rmsprop momentum": (lambda p: mg.optim.RMSprop(p, lr=0.01, momentum=0.5),
                         lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5)),
    "adagrad": (lambda p: mg.optim.Adagrad(p, lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1)),
    "adagrad decay wd init": (
        lambda p: mg.optim.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.02, initial_accumulator_value=0.3,
                                   eps=1e-8),
        lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.02, initial_accumulator_value=0.3,
                                      eps=1e-8)),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_matches_torch(name):
    _pair(*OPTIMIZERS[name])


def _sgd(p):
    return mg.optim.SGD(p, lr=0.1, momentum=0.9)


def _tsgd(p):
    return torch.optim.SGD(p, lr=0.1, momentum=0.9)


S = mg.optim.lr_scheduler
TS = torch.optim.lr_scheduler
SCHEDULERS = {
    "step": (lambda o: S.StepLR(o, 3, gamma=0.5), lambda o: TS.StepLR(o, 3, gamma=0.5)),
    "cosine past T_max": (lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
                          lambda o: TS.CosineAnnealingLR(o, T_max=7, eta_min=0.01)),
    "lambda": (lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)), lambda o: TS.LambdaLR(o, lambda e: 1 / (1 + e))),
    "onecycle": (lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=STEPS),
                 lambda o: TS.OneCycleLR(o, max_lr=0.5, total_steps=STEPS)),
    "onecycle linear three-phase": (
        lambda o: S.OneCycleLR(o, max_lr=0.5, epochs=4, steps_per_epoch=5, anneal_strategy="linear",
                               three_phase=True, pct_start=0.25),
        lambda o: TS.OneCycleLR(o, max_lr=0.5, epochs=4, steps_per_epoch=5, anneal_strategy="linear",
                                three_phase=True, pct_start=0.25)),
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_matches_torch(name):
    mo, to = _pair(_sgd, _tsgd, *SCHEDULERS[name])
    assert mo.param_groups[0]["momentum"] == pytest.approx(to.param_groups[0]["momentum"], rel=1e-12)


def test_onecycle_cycles_adam_beta1_like_torch():
    mo, to = _pair(lambda p: mg.optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01),
                   lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=STEPS),
                   lambda o: TS.OneCycleLR(o, max_lr=0.1, total_steps=STEPS))
    assert mo.param_groups[0]["betas"] == pytest.approx(to.param_groups[0]["betas"], rel=1e-12)


def test_two_schedulers_chain_like_torch():
    def both(o, mod):
        return [mod.StepLR(o, 4, gamma=0.5), mod.CosineAnnealingLR(o, T_max=6)]

    mp, tp = mg.nn.Parameter(P0[1].copy(), dtype=np.float64), torch.tensor(P0[1].copy(), requires_grad=True)
    mo, to = _sgd([mp]), _tsgd([tp])
    ms, ts = both(mo, S), both(to, TS)
    for _ in range(STEPS):
        mp.grad, tp.grad = mg.tensor(_grad(mp.data)), torch.tensor(_grad(tp.detach().numpy()))
        mo.step()
        to.step()
        for a, b in zip(ms, ts):
            a.step()
            b.step()
        assert mo.param_groups[0]["lr"] == pytest.approx(to.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(mp.data, tp.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", ["step", "cosine past T_max", "lambda"])
def test_resuming_with_last_epoch_matches_torch(name):
    make_mg, make_torch = SCHEDULERS[name]
    mp, tp = mg.nn.Parameter(P0[1].copy(), dtype=np.float64), torch.tensor(P0[1].copy(), requires_grad=True)
    mo, to = _sgd([mp]), _tsgd([tp])
    for o in (mo, to):
        o.param_groups[0]["initial_lr"] = 0.1
    kw = dict(last_epoch=9)
    if name == "step":
        ms, ts = S.StepLR(mo, 3, gamma=0.5, **kw), TS.StepLR(to, 3, gamma=0.5, **kw)
    elif name == "lambda":
        ms, ts = S.LambdaLR(mo, lambda e: 0.9 ** e, **kw), TS.LambdaLR(to, lambda e: 0.9 ** e, **kw)
    else:
        ms, ts = S.CosineAnnealingLR(mo, 7, 0.01, **kw), TS.CosineAnnealingLR(to, 7, 0.01, **kw)
    for _ in range(8):
        assert ms.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12, abs=1e-15)
        assert ms.last_epoch == ts.last_epoch
        mo.step()
        to.step()
        ms.step()
        ts.step()


def test_clip_grad_norm_matches_torch():
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        mp = [mg.nn.Parameter(p.copy(), dtype=np.float64) for p in P0]
        tp = [torch.tensor(p.copy(), requires_grad=True) for p in P0]
        for a, b in zip(mp, tp):
            a.grad, b.grad = mg.tensor(_grad(a.data) * 3), torch.tensor(_grad(b.detach().numpy()) * 3)
        total = mg.nn.utils.clip_grad_norm_(mp, 1.5, norm_type=norm_type)
        t_total = torch.nn.utils.clip_grad_norm_(tp, 1.5, norm_type=norm_type)
        assert float(total) == pytest.approx(float(t_total), rel=1e-12)
        for a, b in zip(mp, tp):
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_matches_torch():
    mp = [mg.nn.Parameter(p.copy(), dtype=np.float64) for p in P0]
    tp = [torch.tensor(p.copy(), requires_grad=True) for p in P0]
    for a, b in zip(mp, tp):
        a.grad, b.grad = mg.tensor(_grad(a.data)), torch.tensor(_grad(b.detach().numpy()))
    mg.nn.utils.clip_grad_value_(mp, 0.5)
    torch.nn.utils.clip_grad_value_(tp, 0.5)
    for a, b in zip(mp, tp):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=0)

"""Learning-rate schedulers, the new optimizers' checks and gradient clipping, without PyTorch
(tests/test_torch_optim.py compares every formula with PyTorch step for step)."""
import math

import numpy as np
import pytest

import minigrad as mg

S = mg.optim.lr_scheduler


def _opt(lr=1.0, **kw):
    return mg.optim.SGD([mg.nn.Parameter(np.zeros(3), dtype=np.float64)], lr=lr, **kw)


def _run(opt, sched, n):
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def test_cosine_closed_form_over_two_periods():
    opt = _opt(lr=0.8)
    lrs = _run(opt, S.CosineAnnealingLR(opt, T_max=5, eta_min=0.1), 21)
    want = [0.1 + 0.7 * (1 + math.cos(math.pi * t / 5)) / 2 for t in range(21)]
    np.testing.assert_allclose(lrs, want, rtol=1e-12, atol=1e-15)


def test_step_lr_and_lambda_closed_forms():
    opt = _opt(lr=2.0)
    assert _run(opt, S.StepLR(opt, step_size=3, gamma=0.5), 9) == [2.0] * 3 + [1.0] * 3 + [0.5] * 3
    opt = _opt(lr=2.0)
    np.testing.assert_allclose(_run(opt, S.LambdaLR(opt, lambda e: 1 / (e + 1)), 5), [2 / (e + 1) for e in range(5)])


def test_onecycle_peaks_at_max_lr_and_ends_at_min_lr():
    opt = _opt(lr=0.1, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.4)  # peak at step 3
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)  # momentum runs against the lr
    lrs = _run(opt, sched, 3)  # the scheduler is now at the peak, step 3
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.85)
    lrs += _run(opt, sched, 7)  # the lr at steps 0..9; the scheduler is now at step 10
    assert lrs[0] == pytest.approx(1.0 / 25) and max(lrs) == pytest.approx(1.0)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    with pytest.raises(ValueError, match="total_steps is 10"):
        sched.step()  # step 11


def test_scheduler_errors_name_the_argument():
    with pytest.raises(ValueError, match="step_size"):
        S.StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        S.CosineAnnealingLR(_opt(), T_max=2.5)
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(_opt(momentum=0.9), max_lr=1.0)
    with pytest.raises(ValueError, match="pct_start"):
        S.OneCycleLR(_opt(momentum=0.9), max_lr=1.0, total_steps=10, pct_start=1)
    with pytest.raises(ValueError, match="momentum or betas"):
        S.OneCycleLR(mg.optim.Adagrad([mg.nn.Parameter(np.zeros(2))]), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="one per parameter group"):
        S.LambdaLR(_opt(), [lambda e: 1.0, lambda e: 1.0])
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt(), step_size=2, last_epoch=4)
    with pytest.raises(TypeError, match="optimizer"):
        S.StepLR("not an optimizer", step_size=2)


def test_stepping_the_scheduler_first_warns():
    opt = _opt()
    sched = S.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        sched.step()


def test_scheduler_state_dict_round_trip_resumes_the_schedule():
    opt = _opt(lr=0.5)
    sched = S.CosineAnnealingLR(opt, T_max=8)
    _run(opt, sched, 3)
    saved, opt_saved = sched.state_dict(), opt.state_dict()
    rest = _run(opt, sched, 5)
    opt2 = _opt(lr=123.0)
    sched2 = S.CosineAnnealingLR(opt2, T_max=8)
    opt2.load_state_dict(opt_saved)
    sched2.load_state_dict(saved)
    np.testing.assert_allclose(_run(opt2, sched2, 5), rest, rtol=1e-12)


@pytest.mark.parametrize("make, bad", [
    (lambda p, v: mg.optim.RMSprop(p, alpha=v), "alpha"),
    (lambda p, v: mg.optim.RMSprop(p, momentum=v), "momentum"),
    (lambda p, v: mg.optim.Adagrad(p, lr_decay=v), "lr_decay"),
    (lambda p, v: mg.optim.Adagrad(p, eps=v), "eps"),
])
def test_new_optimizers_reject_negative_hyperparameters(make, bad):
    with pytest.raises(ValueError, match=bad):
        make([mg.nn.Parameter(np.zeros(2))], -0.1)


def test_rmsprop_and_adagrad_state_dicts_round_trip():
    for make in (lambda p: mg.optim.RMSprop(p, momentum=0.5, centered=True), lambda p: mg.optim.Adagrad(p)):
        w = mg.nn.Parameter([1.0, -2.0], dtype=np.float64)
        opt = make([w])
        for _ in range(3):
            w.grad = mg.tensor(np.cos(w.data))
            opt.step()
        w2 = mg.nn.Parameter(w.data.copy(), dtype=np.float64)
        opt2 = make([w2])
        opt2.load_state_dict(opt.state_dict())
        for p, o in ((w, opt), (w2, opt2)):
            p.grad = mg.tensor(np.cos(p.data))
            o.step()
        np.testing.assert_array_equal(w.data, w2.data)


def test_clip_grad_norm_scales_jointly_and_skips_missing_grads():
    a = mg.nn.Parameter([3.0], dtype=np.float64)
    b = mg.nn.Parameter([4.0], dtype=np.float64)
    c = mg.nn.Parameter([1.0], dtype=np.float64)   # no gradient: skipped
    a.grad, b.grad = mg.tensor([3.0]), mg.tensor([4.0])
    total = mg.nn.utils.clip_grad_norm_([a, b, c], max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [0.6, 0.8], rtol=1e-5)
    assert c.grad is None
    small = mg.nn.Parameter([1.0], dtype=np.float64)
    small.grad = mg.tensor([0.1])
    mg.nn.utils.clip_grad_norm_(small, max_norm=1.0)
    assert small.grad.item() == pytest.approx(0.1)


def test_clip_grad_norm_touches_only_its_own_parameters_gradients():
    # ((a + b) * c): a and b receive the same gradient values; clipping a's must leave b's alone
    a, b, c = (mg.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    ((a + b) * c).sum().backward()
    before = b.grad.data.copy()
    mg.nn.utils.clip_grad_norm_([a], max_norm=1e-3)
    np.testing.assert_array_equal(b.grad.data, before)
    assert np.linalg.norm(a.grad.data) == pytest.approx(1e-3, rel=1e-2)


def test_clip_grad_norm_nonfinite():
    w = mg.nn.Parameter([1.0], dtype=np.float64)
    w.grad = mg.tensor([np.inf])
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        mg.nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="clip_value"):
        mg.nn.utils.clip_grad_value_([w], -1.0)

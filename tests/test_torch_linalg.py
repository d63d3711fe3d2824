"""Products and linear algebra against PyTorch: values and gradients (first and second order)."""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


def rand(*shape):
    return RNG.standard_normal(shape)


def well_conditioned(*shape):
    return rand(*shape) * 0.3 + np.eye(shape[-1]) * shape[-1]


def compare(f_mg, f_torch, *xs, second_order=True):
    """Values, gradients of <u, f> and (optionally) the gradient of <v, grad> agree with PyTorch."""
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    out_t = f_torch(*ts)
    u = torch.tensor(rand(*out_t.shape))
    grads_t = torch.autograd.grad((out_t * u).sum(), ts, create_graph=second_order)
    ms = [mg.tensor(x, requires_grad=True) for x in xs]
    out_m = f_mg(*ms)
    np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), rtol=1e-9, atol=1e-10)
    grads_m = mg.gradients((out_m * u.numpy()).sum(), ms, create_graph=second_order)
    for gm, gt in zip(grads_m, grads_t):
        np.testing.assert_allclose(gm.data, gt.detach().numpy(), rtol=1e-8, atol=1e-10)
    if second_order:
        vs = [rand(*x.shape) for x in xs]
        hv_t = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in zip(grads_t, vs)), ts, allow_unused=True)
        total = sum(((g * v).sum() for g, v in zip(grads_m, vs)), mg.tensor(0.0))
        hv_m = mg.gradients(total, ms) if total.requires_grad else [None] * len(ms)  # piecewise linear: 0
        for hm, ht, x in zip(hv_m, hv_t, xs):
            ht = np.zeros(x.shape) if ht is None else ht.numpy(force=True)
            hm = np.zeros_like(ht) if hm is None else hm.data
            np.testing.assert_allclose(hm, ht, rtol=1e-7, atol=1e-9)


def test_inv_solve_det_slogdet():
    a, b, v = well_conditioned(2, 3, 3), rand(2, 3, 2), rand(3)
    compare(mg.linalg.inv, torch.linalg.inv, a)
    compare(mg.linalg.solve, torch.linalg.solve, a, b)
    compare(mg.linalg.solve, torch.linalg.solve, a, v)
    compare(mg.linalg.det, torch.linalg.det, a)
    compare(lambda x: mg.linalg.slogdet(x)[1], lambda x: torch.linalg.slogdet(x)[1], -a)
    compare(lambda x: mg.linalg.matrix_power(x, -2), lambda x: torch.linalg.matrix_power(x, -2), a)


def test_cholesky():
    x = rand(2, 3, 3)
    eye = np.eye(3)
    compare(lambda t: mg.linalg.cholesky(t @ t.mT + 3 * eye),
            lambda t: torch.linalg.cholesky(t @ t.mT + 3 * torch.tensor(eye)), x)
    # the gradient with respect to a symmetric input itself: both symmetric, the same
    s = x @ np.swapaxes(x, -1, -2) + 3 * eye
    compare(mg.linalg.cholesky, torch.linalg.cholesky, s, second_order=False)


def test_eigh_gauge_invariant_functions():
    x = rand(2, 3, 3)
    c = rand(3)

    def ours(t):
        w, v = mg.linalg.eigh(t + t.mT)
        return mg.concatenate([w, ((v * c) @ v.mT).reshape(2, 9), (v * v).reshape(2, 9)], axis=-1)

    def theirs(t):
        w, v = torch.linalg.eigh(t + t.mT)
        return torch.cat([w, ((v * torch.tensor(c)) @ v.mT).reshape(2, 9), (v * v).reshape(2, 9)], dim=-1)
    compare(ours, theirs, x)


@pytest.mark.parametrize("shape", [(2, 4, 3), (2, 3, 4), (3, 3)])
def test_svd_qr_pinv(shape):
    x = rand(*shape)
    k = min(shape[-2:])
    c = rand(k)

    def ours(t):
        u, s, vh = mg.linalg.svd(t, full_matrices=False)
        return mg.concatenate([s, ((u * c) @ vh).reshape(t.shape[:-2] + (-1,))], axis=-1)

    def theirs(t):
        u, s, vh = torch.linalg.svd(t, full_matrices=False)
        return torch.cat([s, ((u * torch.tensor(c)) @ vh).reshape(t.shape[:-2] + (-1,))], dim=-1)
    compare(ours, theirs, x)
    compare(mg.linalg.svdvals, torch.linalg.svdvals, x)
    compare(mg.linalg.pinv, torch.linalg.pinv, x)
    if shape[-2] >= shape[-1]:  # torch.linalg.qr's backward covers tall input; signs made to agree
        def fix(q, r, diag):
            sign = torch.where(torch.diagonal(diag, dim1=-2, dim2=-1) < 0, -1.0, 1.0).to(q.dtype)
            return q * sign.unsqueeze(-2), r * sign.unsqueeze(-1)

        def qr_t(t):
            q, r = torch.linalg.qr(t)
            q, r = fix(q, r, r.detach())
            return torch.cat([q.reshape(t.shape[:-2] + (-1,)), r.reshape(t.shape[:-2] + (-1,))], dim=-1)

        def qr_m(t):
            q, r = mg.linalg.qr(t)
            return mg.concatenate([q.reshape(t.shape[:-2] + (-1,)), r.reshape(t.shape[:-2] + (-1,))], axis=-1)
        compare(qr_m, qr_t, x)


def test_lstsq():
    a, b = rand(5, 3), rand(5, 2)
    compare(lambda p, q: mg.linalg.lstsq(p, q)[0], lambda p, q: torch.linalg.lstsq(p, q).solution, a, b)


@pytest.mark.parametrize("ord,dim", [(2, None), (1, 1), (3, -1), (float("inf"), 1), (1.5, (0, 1))])
def test_vector_norms(ord, dim):
    x = rand(3, 4)
    compare(lambda t: mg.linalg.vector_norm(t, ord=ord, axis=dim), lambda t: torch.linalg.vector_norm(t, ord=ord, dim=dim), x)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, float("inf")])
def test_matrix_norms(ord):
    compare(lambda t: mg.linalg.matrix_norm(t, ord=ord), lambda t: torch.linalg.matrix_norm(t, ord=ord), rand(2, 3, 4))


def test_norm_at_zero_like_pytorch():
    x = np.zeros((2, 3))
    ts, ms = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    torch.linalg.vector_norm(ts, dim=1).sum().backward()
    mg.linalg.vector_norm(ms, axis=1).sum().backward()
    np.testing.assert_array_equal(ms.grad.data, ts.grad.numpy())


def test_products():
    compare(lambda a, b: mg.einsum("bij,bjk->bik", a, b), lambda a, b: torch.einsum("bij,bjk->bik", a, b),
            rand(2, 2, 3), rand(2, 3, 2))
    compare(lambda a, b: mg.einsum("ii,i->i", a, b), lambda a, b: torch.einsum("ii,i->i", a, b), rand(3, 3), rand(3))
    compare(mg.kron, torch.kron, rand(2, 3), rand(3, 2))
    compare(lambda a, b: mg.tensordot(a, b, axes=([1, 2], [1, 0])),
            lambda a, b: torch.tensordot(a, b, dims=([1, 2], [1, 0])), rand(2, 3, 4), rand(4, 3, 5))
    compare(mg.cross, lambda a, b: torch.linalg.cross(a, b), rand(4, 3), rand(4, 3))
    compare(lambda a, b, c: mg.linalg.multi_dot([a, b, c]), lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
            rand(2, 3), rand(3, 4), rand(4, 2))
    compare(mg.outer, torch.outer, rand(3), rand(4))
    compare(mg.inner, torch.inner, rand(2, 3), rand(4, 3))

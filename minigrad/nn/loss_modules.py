"""Loss modules for nn/losses2.py's functions (and BCEWithLogitsLoss), PyTorch's names and options.

Constructor arguments are PyTorch's minus the deprecated size_average/reduce; pass them by keyword
(PyTorch's positional order starts with those). Class weights are buffers, as in PyTorch, so a
PyTorch loss module's state_dict loads.
"""
from __future__ import annotations

from . import losses2 as L
from .layers import _Loss
from .losses import binary_cross_entropy_with_logits, weight_buffer
from .module import Module


class _OptionLoss(_Loss):
    """A loss whose functional takes (inputs..., **options, reduction=...)."""

    _fn = None
    _n_inputs = 2

    def __init__(self, reduction="mean", **options):
        super().__init__(reduction)
        self._options = list(options)
        for k, v in options.items():
            setattr(self, k, v)

    def forward(self, *inputs):
        if len(inputs) != self._n_inputs:
            raise TypeError(f"{type(self).__name__} takes {self._n_inputs} inputs, got {len(inputs)}")
        options = {k: getattr(self, k) for k in self._options}
        return type(self)._fn(*inputs, reduction=self.reduction, **options)

    def extra_repr(self):
        return ", ".join([super().extra_repr()] + [f"{k}={getattr(self, k)!r}" for k in self._options
                                                   if k not in self._buffers])


class L1Loss(_OptionLoss):
    """F.l1_loss.

    >>> import minigrad as mg
    >>> mg.nn.L1Loss()(mg.tensor([1.0, 3.0]), mg.tensor([0.0, 0.0])).item()
    2.0
    """
    _fn = staticmethod(L.l1_loss)


class SmoothL1Loss(_OptionLoss):
    """F.smooth_l1_loss with `beta`.

    >>> import minigrad as mg
    >>> mg.nn.SmoothL1Loss(beta=2.0)(mg.tensor([1.0]), mg.tensor([0.0])).item()
    0.25
    """
    _fn = staticmethod(L.smooth_l1_loss)

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction, beta=beta)


class HuberLoss(_OptionLoss):
    """F.huber_loss with `delta`.

    >>> import minigrad as mg
    >>> mg.nn.HuberLoss(delta=0.5)(mg.tensor([2.0]), mg.tensor([0.0])).item()
    0.875
    """
    _fn = staticmethod(L.huber_loss)

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction, delta=delta)


class KLDivLoss(_OptionLoss):
    """F.kl_div with `log_target` (reduction may also be 'batchmean').

    >>> import minigrad as mg
    >>> mg.nn.KLDivLoss(reduction="sum")(mg.tensor([0.0]), mg.tensor([1.0])).item()
    0.0
    """
    _fn = staticmethod(L.kl_div)

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction, log_target=log_target)


class BCELoss(_OptionLoss):
    """F.binary_cross_entropy with an optional `weight` (a buffer).

    >>> import minigrad as mg
    >>> round(mg.nn.BCELoss()(mg.tensor([0.5]), mg.tensor([1.0])).item(), 6)
    0.693147
    """
    _fn = staticmethod(L.binary_cross_entropy)

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight_buffer(weight))
        self._options.append("weight")


class BCEWithLogitsLoss(_OptionLoss):
    """F.binary_cross_entropy_with_logits with optional `weight` and `pos_weight` (buffers).

    >>> import minigrad as mg
    >>> round(mg.nn.BCEWithLogitsLoss(pos_weight=[2.0])(mg.tensor([0.0]), mg.tensor([1.0])).item(), 6)
    1.386294
    """
    _fn = staticmethod(binary_cross_entropy_with_logits)

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", weight_buffer(weight))
        self.register_buffer("pos_weight", weight_buffer(pos_weight))
        self._options += ["weight", "pos_weight"]


class MultiLabelSoftMarginLoss(BCELoss):
    """F.multilabel_soft_margin_loss with an optional class `weight` (a buffer).

    >>> import minigrad as mg
    >>> round(mg.nn.MultiLabelSoftMarginLoss()(mg.tensor([[0.0]]), mg.tensor([[1.0]])).item(), 6)
    0.693147
    """
    _fn = staticmethod(L.multilabel_soft_margin_loss)


class SoftMarginLoss(_OptionLoss):
    """F.soft_margin_loss.

    >>> import minigrad as mg
    >>> round(mg.nn.SoftMarginLoss()(mg.tensor([0.0]), mg.tensor([1.0])).item(), 6)
    0.693147
    """
    _fn = staticmethod(L.soft_margin_loss)


class HingeEmbeddingLoss(_OptionLoss):
    """F.hinge_embedding_loss with `margin`.

    >>> import minigrad as mg
    >>> mg.nn.HingeEmbeddingLoss(margin=2.0)(mg.tensor([0.5]), mg.tensor([-1.0])).item()
    1.5
    """
    _fn = staticmethod(L.hinge_embedding_loss)

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction, margin=margin)


class MarginRankingLoss(HingeEmbeddingLoss):
    """F.margin_ranking_loss with `margin` (default 0).

    >>> import minigrad as mg
    >>> mg.nn.MarginRankingLoss(margin=1.0)(mg.tensor([1.0]), mg.tensor([1.0]), mg.tensor([1.0])).item()
    1.0
    """
    _fn = staticmethod(L.margin_ranking_loss)
    _n_inputs = 3

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(margin, reduction)


class CosineEmbeddingLoss(MarginRankingLoss):
    """F.cosine_embedding_loss with `margin` (default 0).

    >>> import minigrad as mg
    >>> round(mg.nn.CosineEmbeddingLoss()(mg.tensor([[1.0, 0.0]]), mg.tensor([[1.0, 0.0]]), mg.tensor([1.0])).item(), 9)
    0.0
    """
    _fn = staticmethod(L.cosine_embedding_loss)


class TripletMarginLoss(_OptionLoss):
    """F.triplet_margin_loss with `margin`, `p`, `eps` and `swap`.

    >>> import minigrad as mg
    >>> x = mg.tensor([[0.0, 0.0]])
    >>> round(mg.nn.TripletMarginLoss(margin=1.0)(x, x, x).item(), 6)
    1.0
    """
    _fn = staticmethod(L.triplet_margin_loss)
    _n_inputs = 3

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
        super().__init__(reduction, margin=margin, p=p, eps=eps, swap=swap)


class GaussianNLLLoss(_OptionLoss):
    """F.gaussian_nll_loss with `full` and `eps`; called as loss(input, target, var).

    >>> import minigrad as mg
    >>> mg.nn.GaussianNLLLoss()(mg.tensor([1.0]), mg.tensor([0.0]), mg.tensor([1.0])).item()
    0.5
    """
    _fn = staticmethod(L.gaussian_nll_loss)
    _n_inputs = 3

    def __init__(self, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction, full=full, eps=eps)


class PoissonNLLLoss(_OptionLoss):
    """F.poisson_nll_loss with `log_input`, `full` and `eps`.

    >>> import minigrad as mg
    >>> mg.nn.PoissonNLLLoss()(mg.tensor([0.0]), mg.tensor([1.0])).item()
    1.0
    """
    _fn = staticmethod(L.poisson_nll_loss)

    def __init__(self, log_input=True, full=False, eps=1e-8, reduction="mean"):
        super().__init__(reduction, log_input=log_input, full=full, eps=eps)


class CosineSimilarity(Module):
    """F.cosine_similarity along `dim` (default 1) with `eps`.

    >>> import minigrad as mg
    >>> mg.nn.CosineSimilarity(dim=0)(mg.tensor([1.0, 0.0]), mg.tensor([2.0, 0.0])).item()
    1.0
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return L.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self):
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """F.pairwise_distance with `p`, `eps` and `keepdim`.

    >>> import minigrad as mg
    >>> mg.nn.PairwiseDistance(eps=0.0)(mg.tensor([[0.0, 3.0]]), mg.tensor([[4.0, 0.0]])).data.tolist()
    [5.0]
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return L.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self):
        return f"p={self.norm}, eps={self.eps}, keepdim={self.keepdim}"

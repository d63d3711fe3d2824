"""Sanity checks of the explanations (minigrad.nn.sanity and the demos' use of it)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import sanity


def _net(seed=0):
    mg.manual_seed(seed)
    return mg.nn.Sequential(mg.nn.Conv2d(1, 4, 3, padding=1), mg.nn.ReLU(), mg.nn.MaxPool2d(2), mg.nn.Flatten(),
                            mg.nn.Linear(4 * 4 * 4, 8), mg.nn.ReLU(), mg.nn.Linear(8, 3))


def _params(model):
    return {k: v.data.copy() for k, v in model.named_parameters()}


def test_randomized_changes_exactly_the_named_layers_and_leaves_the_model_alone():
    net = _net()
    before = _params(net)
    clone = sanity.randomized(net, ["4"], seed=3)
    after = _params(clone)
    for name in before:
        np.testing.assert_array_equal(_params(net)[name], before[name])      # the original is untouched
        if not name.startswith("4."):
            np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert not np.array_equal(after["4.weight"], before["4.weight"])
    again = sanity.randomized(net, ["4"], seed=3)
    np.testing.assert_array_equal(_params(again)["4.weight"], after["4.weight"])  # seeded: repeatable


def test_randomized_restores_the_global_generator():
    net = _net()
    mg.manual_seed(5)
    expected = mg.nn.init.generator().random()
    mg.manual_seed(5)
    sanity.randomized(net, ["0", "4"])
    assert mg.nn.init.generator().random() == expected


def test_layer_groups_and_errors():
    net = _net()
    assert sanity.parameter_layers(net) == ["0", "4", "6"]
    with pytest.raises(KeyError, match="no module named 'nope'"):
        sanity.randomized(net, ["nope"])
    with pytest.raises(KeyError, match="unknown explanation method"):
        sanity.cascading_randomization(net, np.zeros((1, 1, 8, 8)), 0, methods=["smoothgrad"])
    with pytest.raises(TypeError, match="reset_parameters"):
        sanity.randomized(mg.nn.Sequential(_NoReset()), ["0"])


class _NoReset(mg.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = mg.nn.Parameter(np.ones(2))


def test_similarity_of_a_map_with_itself_is_one_and_of_unrelated_maps_near_zero():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 16, 16))
    sims = sanity.similarity(m, np.stack([m, rng.standard_normal((3, 16, 16))]))
    for measure, values in sims.items():
        np.testing.assert_allclose(values[0], 1.0, atol=1e-12, err_msg=measure)
        assert np.all(np.abs(values[1]) < 0.35), (measure, values[1])
    assert np.isnan(sanity.similarity(m[:1], np.zeros((1, 1, 16, 16)))["spearman_signed"][0, 0])
    with pytest.raises(ValueError, match="do not stack"):
        sanity.similarity(m, m)


def test_cascade_randomises_cumulatively_from_the_top_and_independent_one_at_a_time(monkeypatch):
    net = _net()
    seen = []
    real = sanity.randomized
    monkeypatch.setattr(sanity, "randomized", lambda model, layers, **kw: seen.append(list(layers)) or real(model, layers, **kw))
    x = np.random.default_rng(1).random((2, 1, 8, 8))
    res = sanity.cascading_randomization(net, x, 1, methods=["gradient", "guided"])
    assert seen == [["6"], ["6", "4"], ["6", "4", "0"]]
    assert res["steps"] == ["trained", "6", "4", "0"]
    assert res["maps"]["gradient"].shape == (4, 2, 8, 8)
    np.testing.assert_allclose(res["similarity"]["gradient"]["spearman_abs"][0], 1.0)
    seen.clear()
    sanity.independent_randomization(net, x, 1, methods=["gradient"])
    assert seen == [["6"], ["4"], ["0"]]


def test_gradient_x_input_is_the_gradient_times_the_input():
    net = _net()
    x = np.random.default_rng(2).random((2, 1, 8, 8))
    g = sanity.explanation(net, x, 0, "gradient")
    np.testing.assert_allclose(sanity.explanation(net, x, 0, "gradient_x_input"), g * x, rtol=1e-6)
    np.testing.assert_allclose(g, mg.nn.explain.saliency(net, x, 0), rtol=0)


@pytest.fixture(scope="module")
def shipped():
    from models.datasets import DEFAULT_PHOTOS, load_photos
    from models.orientation import load_model
    model, norm, cfg, _ = load_model("data/models/orientation.npz")
    photos = load_photos(DEFAULT_PHOTOS, size=cfg.size, color=cfg.color, limit=12).images[:2]
    return model.members[0], norm(photos)


def test_a_completely_randomised_model_gives_unrelated_gradient_maps(shipped):
    model, x = shipped
    res = sanity.cascading_randomization(model, x, 0, methods=["gradient", "guided"])
    final = {m: np.nanmean(res["similarity"][m]["spearman_signed"][-1]) for m in ("gradient", "guided")}
    assert abs(final["gradient"]) < 0.15                      # unrelated to the trained model's map
    assert final["guided"] > final["gradient"] + 0.2           # Adebayo et al.: guided backprop barely moves
    summary = sanity.summarize(res)
    assert summary["gradient"]["spearman_abs"]["mean"][0] == 1.0
    assert len(summary["guided"]["ssim"]["std"]) == len(res["steps"])


def test_randomized_never_reproduces_the_initial_weights_of_a_model_built_from_the_same_seed():
    mg.manual_seed(0)
    net = mg.nn.Sequential(mg.nn.Linear(4, 3))
    clone = sanity.randomized(net, ["0"], seed=0)
    assert not np.array_equal(clone[0].weight.data, net[0].weight.data)

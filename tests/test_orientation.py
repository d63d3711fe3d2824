"""Photo orientation: the data pipeline's labels, the explanation rules, and the demo end to end."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.nn.explain import saliency  # noqa: E402
from models import orientation as orient  # noqa: E402


def _marked(n=3, s=12, c=3, seed=0, rows=1):
    """Random photos whose top `rows` rows are white and the rest darker: 'up' is visible."""
    x = np.random.default_rng(seed).uniform(0, 0.5, (n, s, s, c)).astype(np.float32)
    x[:, :rows] = 1.0
    return x


def _bright_edge(img):
    """Which edge of an (S, S[, C]) image is the white one: 'top', 'left', 'bottom' or 'right'."""
    m = img if img.ndim == 2 else img.mean(axis=-1)
    edges = {"top": m[0].mean(), "left": m[:, 0].mean(), "bottom": m[-1].mean(), "right": m[:, -1].mean()}
    return max(edges, key=edges.get)


# a photo turned k quarter turns counter-clockwise has its top edge on this side
EDGE_OF_LABEL = {0: "top", 1: "left", 2: "bottom", 3: "right"}


# --------------------------------------------------------------------------- rotation labels


def test_rotation_batch_labels_are_counter_clockwise_quarter_turns():
    img = np.arange(4, dtype=np.float32).reshape(1, 2, 2)  # [[0, 1], [2, 3]]
    x, y = orient.rotation_batch(img)
    assert y.tolist() == [0, 1, 2, 3]
    assert x[0].tolist() == [[0, 1], [2, 3]]
    assert x[1].tolist() == [[1, 3], [0, 2]]  # 90 degrees counter-clockwise: the top row goes left
    assert x[2].tolist() == [[3, 2], [1, 0]]
    assert x[3].tolist() == [[2, 0], [3, 1]]


def test_rotation_batch_keeps_a_photos_four_rotations_together():
    photos = _marked(n=3)
    x, y = orient.rotation_batch(photos)
    assert x.shape == (12,) + photos.shape[1:] and y.tolist() == [0, 1, 2, 3] * 3
    for i in range(3):
        for k in range(4):
            np.testing.assert_array_equal(np.rot90(x[4 * i + k], -k), photos[i])
            assert _bright_edge(x[4 * i + k]) == EDGE_OF_LABEL[k]


def test_one_random_rotation_per_photo_labels_match():
    photos = _marked(n=40)
    x, y = orient.rotation_batch(photos, np.random.default_rng(1), all_four=False)
    assert len(x) == 40 and set(y.tolist()) == {0, 1, 2, 3}
    for img, k in zip(x, y):
        assert _bright_edge(img) == EDGE_OF_LABEL[int(k)]


# --------------------------------------------------------------------------- cropping and augmentation


def test_crop_resize_full_crop_is_identity_and_matches_pil_bilinear():
    from PIL import Image
    x = np.random.default_rng(0).random((2, 20, 20), dtype=np.float32)
    same = orient.crop_resize(x, [0, 0], [0, 0], [20, 20], 20)
    np.testing.assert_allclose(same, x, atol=1e-6)
    got = orient.crop_resize(x[:1], [3], [2], [16], 20)[0]
    ref = np.asarray(Image.fromarray(x[0]).crop((2, 3, 18, 19)).resize((20, 20), Image.Resampling.BILINEAR))
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_crop_resize_reads_only_inside_the_crop():
    x = np.zeros((1, 10, 10, 3), np.float32)
    x[0, 2:8, 3:9] = 1.0  # a 6x6 square of ones, zeros around it
    out = orient.crop_resize(x, [2], [3], [6], 10)
    np.testing.assert_allclose(out, 1.0)


def test_flip_does_not_commute_with_a_quarter_turn():
    """Why the pipeline flips BEFORE rotating: a mirrored 90-degree photo is the mirrored photo at 270."""
    img = np.random.default_rng(0).random((5, 5))
    flipped_after = np.rot90(img, 1)[:, ::-1]
    assert not np.array_equal(flipped_after, np.rot90(img[:, ::-1], 1))
    np.testing.assert_array_equal(flipped_after, np.rot90(img[:, ::-1], 3))


def test_augmentation_then_rotation_preserves_labels():
    photos = _marked(n=64, s=16, rows=4)  # a 15% crop cuts at most 2 rows: the white band survives
    rng = np.random.default_rng(0)
    aug = orient.augment(photos, rng, flip=True, crop=0.15, jitter=0.1)
    assert aug.shape == photos.shape and aug.dtype == photos.dtype
    assert 0.0 <= aug.min() and aug.max() <= 1.0
    x, y = orient.rotation_batch(aug)
    for img, k in zip(x, y):
        assert _bright_edge(img) == EDGE_OF_LABEL[int(k)]


def test_augmentation_crops_larger_photos_down_to_the_network_input():
    # brightness falls from top to bottom, so any crop of a photo still has its bright edge on top
    ramp = np.linspace(1, 0, 32, dtype=np.float32)[None, :, None, None]
    photos = np.clip(ramp + np.random.default_rng(0).uniform(-0.1, 0.1, (32, 32, 32, 3)), 0, 1).astype(np.float32)
    aug = orient.augment(photos, np.random.default_rng(0), flip=True, crop=0.5, size=16)
    assert aug.shape == (32, 16, 16, 3)
    x, y = orient.rotation_batch(aug)
    for img, k in zip(x, y):
        assert _bright_edge(img) == EDGE_OF_LABEL[int(k)]
    # with no crop, a photo stored at twice the size comes out as its 2x2 block means
    full = orient.augment(photos, np.random.default_rng(0), flip=False, crop=0.0, size=16)
    np.testing.assert_allclose(full, photos.reshape(32, 16, 2, 16, 2, 3).mean(axis=(2, 4)), atol=1e-6)


def test_augmentation_flips_horizontally_and_only_that():
    photos = np.random.default_rng(0).random((200, 8, 8, 3)).astype(np.float32)
    aug = orient.augment(photos, np.random.default_rng(3), flip=True)
    same = [np.array_equal(a, p) for a, p in zip(aug, photos)]
    mirrored = [np.array_equal(a, p[:, ::-1]) for a, p in zip(aug, photos)]
    assert all(s or m for s, m in zip(same, mirrored))
    assert 60 < sum(mirrored) < 140  # about half


def test_normalizer_is_rotation_invariant_and_round_trips():
    photos = np.random.default_rng(0).random((6, 8, 8, 3)).astype(np.float32)
    norm = orient.Normalizer.fit(photos)
    x, _ = orient.rotation_batch(photos)
    assert np.allclose(orient.Normalizer.fit(x).mean, norm.mean, atol=1e-6)
    z = norm(photos)
    assert z.shape == (6, 3, 8, 8)
    np.testing.assert_allclose(norm.undo(z), photos, atol=1e-5)


# --------------------------------------------------------------------------- the network


NETWORKS = [{"equivariant": False}, {"equivariant": True}, {"equivariant": True, "ensemble": 2},
            {"equivariant": False, "ensemble": 3}]


@pytest.mark.parametrize("kind", NETWORKS)
def test_rotation_logits_match_a_forward_pass_on_each_rotation(kind):
    cfg = orient.Config(size=16, widths=(4, 4), hidden=8, **kind)
    model = orient.build_model(cfg).eval()
    photos = np.random.default_rng(0).random((3, 16, 16, 3)).astype(np.float32)
    norm = orient.Normalizer.fit(photos)
    got = orient.rotation_logits(model, norm, photos)
    x, _ = orient.rotation_batch(photos)
    with mg.no_grad():
        want = model(mg.tensor(norm(x))).data.reshape(3, 4, 4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", NETWORKS)
def test_mirror_averaging_pairs_each_input_with_its_mirror_image(kind):
    # the mirror of an input turned k is turned -k: its class c must be read as -c
    model = orient.build_model(orient.Config(size=16, widths=(4, 4), hidden=8, **kind)).eval()
    photos = np.random.default_rng(4).random((2, 16, 16, 3)).astype(np.float32)
    norm = orient.Normalizer.fit(photos)
    got = orient.rotation_logits(model, norm, photos, mirror=True)
    neg = -np.arange(4) % 4
    with mg.no_grad():
        for i, photo in enumerate(photos):
            for k in range(4):
                x = np.rot90(photo, k)
                a, b = model(mg.tensor(norm(np.stack([x, x[:, ::-1]])))).data
                np.testing.assert_allclose(got[i, k], (a + b[neg]) / 2, rtol=1e-5, atol=1e-6)


def test_ensemble_averages_differently_seeded_members_and_their_explanations():
    cfg = orient.Config(size=16, widths=(4, 4), hidden=8, equivariant=True, ensemble=3, seed=5)
    model = orient.build_model(cfg).eval()
    members = list(model.members)
    for i, m in enumerate(members):  # member i is the network a single run with seed 5 + i would build
        single = orient.build_model(orient.Config(size=16, widths=(4, 4), hidden=8, equivariant=True, seed=5 + i))
        for (name, a), b in zip(m.state_dict().items(), single.state_dict().values()):
            np.testing.assert_array_equal(a, b, err_msg=name)
    assert not np.array_equal(members[0].state_dict()["classifier.1.weight"],
                              members[1].state_dict()["classifier.1.weight"])
    x = np.random.default_rng(3).normal(size=(2, 3, 16, 16))
    with mg.no_grad():
        np.testing.assert_allclose(model(mg.tensor(x)).data, np.mean([m(mg.tensor(x)).data for m in members], 0),
                                   rtol=1e-6)
    for method in ("plain", "guided", "positive_paths"):
        got = saliency(model, x, np.array([0, 2]), method)
        want = np.mean([saliency(m, x, np.array([0, 2]), method) for m in members], axis=0)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9, err_msg=method)
    with pytest.raises(ValueError, match="ensemble must be an int >= 1"):
        orient.Config(ensemble=0)


def test_ensemble_trains_each_member_and_round_trips_through_a_checkpoint(tmp_path):
    from demos.orientation_figures import training_figure
    cfg = orient.Config(size=8, widths=(4,), hidden=4, epochs=2, batch_photos=4, equivariant=True, ensemble=2)
    photos = _marked(n=8, s=8)
    model, norm, hist = orient.train(cfg, photos, photos[:3], progress=False)
    assert isinstance(model, orient.Ensemble) and len(hist["members"]) == 2
    assert all(len(h["val_acc"]) == 2 for h in hist["members"])
    orient.save_model(tmp_path / "e.npz", model, norm, cfg)
    again, norm2, cfg2, _ = orient.load_model(tmp_path / "e.npz")
    assert cfg2 == cfg and isinstance(again, orient.Ensemble)
    np.testing.assert_array_equal(orient.rotation_logits(model, norm, photos, mirror=True),
                                  orient.rotation_logits(again, norm2, photos, mirror=True))
    fig = training_figure(hist)
    assert len(fig.axes[0].lines) == 2  # one loss curve per network


def test_equivariant_model_turns_its_answer_with_its_input():
    model = orient.build_model(orient.Config(size=16, widths=(4, 4), hidden=8, equivariant=True)).eval()
    x = np.random.default_rng(1).normal(size=(2, 3, 16, 16)).astype(np.float32)
    with mg.no_grad():
        base = model(mg.tensor(x)).data
        for k in range(4):
            turned = model(mg.tensor(np.ascontiguousarray(np.rot90(x, k, axes=(2, 3))))).data
            np.testing.assert_allclose(turned, np.roll(base, k, axis=1), rtol=1e-5, atol=1e-6)


def test_rot90_matches_numpy_and_has_the_right_gradient():
    x = np.random.default_rng(2).normal(size=(1, 2, 3, 3))
    for k in range(-1, 5):
        np.testing.assert_array_equal(orient.rot90(mg.tensor(x), k).data, np.rot90(x, k, axes=(2, 3)))
    assert mg.gradcheck(lambda t: (orient.rot90(t, 1) * mg.tensor(np.arange(18.0).reshape(1, 2, 3, 3))).sum(),
                        mg.tensor(x, requires_grad=True))


# --------------------------------------------------------------------------- explanation rules


def _tiny_net():
    """2 inputs -> 3 relu units -> 1 output, in float64, with weights chosen for hand computation."""
    net = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.ReLU(), nn.Linear(3, 1, dtype=np.float64))
    net[0].weight.data[:] = [[2, -1], [1, 0], [-1, -1]]
    net[0].bias.data[:] = [0.5, -1, 0]
    net[2].weight.data[:] = [[2, -1, 3]]
    net[2].bias.data[:] = [0.25]
    return net.eval()


def test_explanation_rules_on_a_tiny_network_computed_by_hand():
    # x = (2, 1): pre-activations W1 x + b1 = (4 - 1 + 0.5, 2 - 1, -3) = (3.5, 1, -3)
    #   unit 1: active, gets g = +2;  unit 2: active, g = -1;  unit 3: inactive, g = +3.
    # plain:     pass active units          -> g_pre = (2, -1, 0); W1^T g_pre = (2*2 - 1*1, 2*-1 + 0) = (3, -2)
    # guided:    active and g > 0           -> g_pre = (2, 0, 0);  W1^T g_pre = (4, -2)
    # deconvnet: g > 0, whatever the input  -> g_pre = (2, 0, 3);  W1^T g_pre = (4 - 3, -2 - 3) = (1, -5)
    # positive:  max(W2, 0) = (2, 0, 3), active units -> g_pre = (2, 0, 0);
    #            max(W1, 0) = [[2, 0], [1, 0], [0, 0]] -> (2*2, 0) = (4, 0)
    net = _tiny_net()
    x = np.array([[2.0, 1.0]])
    expected = {"plain": [3, -2], "guided": [4, -2], "deconvnet": [1, -5], "positive_paths": [4, 0]}
    for method, want in expected.items():
        np.testing.assert_allclose(saliency(net, x, 0, method), [want], err_msg=method)


def test_presets_through_override_scope_match_saliency_and_end_with_it():
    net = _tiny_net()
    x = mg.tensor([[2.0, 1.0]], requires_grad=True)
    out = net(x).sum()
    with mg.rules.override(relu=mg.rules.guided_relu):
        out.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, [[4, -2]])
    for preset, want in (("deconvnet", [1, -5]), ("positive_paths", [4, 0])):
        x.grad = None
        with mg.rules.override(preset):
            out.backward(retain_graph=True)
        np.testing.assert_allclose(x.grad.data, [want], err_msg=preset)
    x.grad = None
    out.backward()  # outside every scope: the true gradient again
    np.testing.assert_allclose(x.grad.data, [[3, -2]])
    assert mg.rules.overridden() == {}


def test_presets_end_with_their_scope_even_after_an_error():
    net = _tiny_net()
    with pytest.raises(RuntimeError):
        with mg.rules.override("positive_paths"):
            raise RuntimeError("boom")
    np.testing.assert_allclose(saliency(net, [[2.0, 1.0]], 0), [[3, -2]])


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (1, 2)])
def test_positive_paths_uses_clamped_weights_in_conv_and_linear(stride, padding):
    """Without relus a network is linear, so its positive-paths map is exactly the plain gradient of
    the same network with every weight replaced by max(W, 0): checks any conv geometry."""
    mg.nn.manual_seed(stride * 10 + padding)
    conv = nn.Conv2d(2, 3, 3, stride=stride, padding=padding, dtype=np.float64)
    side = (7 + 2 * padding - 3) // stride + 1
    net = nn.Sequential(conv, nn.Flatten(), nn.Linear(3 * side * side, 2, dtype=np.float64)).eval()
    x = np.random.default_rng(0).normal(size=(2, 2, 7, 7))
    got = saliency(net, x, [0, 1], "positive_paths")
    for layer in (net[0], net[2]):
        layer.weight.data[:] = np.maximum(layer.weight.data, 0)
    np.testing.assert_allclose(got, saliency(net, x, [0, 1], "plain"), rtol=1e-10, atol=1e-12)


def test_positive_paths_map_is_non_negative_and_linear_in_the_seed():
    mg.nn.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 8, dtype=np.float64), nn.ReLU(),
                        nn.Linear(8, 3, dtype=np.float64)).eval()
    x = np.random.default_rng(1).normal(size=(2, 3, 8, 8))
    maps = [saliency(net, x, c, "positive_paths") for c in range(3)]
    assert all((m >= 0).all() for m in maps) and any(m.max() > 0 for m in maps)
    # no g > 0 test at the relus: the map of score0 - score1 is the difference of their maps
    xt = mg.tensor(x, requires_grad=True)
    with mg.rules.override("positive_paths"):
        net(xt).backward(np.array([[1.0, -1.0, 0.0]] * 2))
    np.testing.assert_allclose(xt.grad.data, maps[0] - maps[1], atol=1e-12)


def test_saliency_rejects_bad_targets_and_methods():
    net = _tiny_net()
    with pytest.raises(ValueError, match="outside 0..0"):
        saliency(net, [[1.0, 1.0]], 3)
    with pytest.raises(KeyError, match="unknown method"):
        saliency(net, [[1.0, 1.0]], 0, "smoothgrad")


# --------------------------------------------------------------------------- the demo end to end


def _check_demo_output(out, metrics, extra):
    d = out / "orientation"
    on_disk = json.loads((d / "metrics.json").read_text())
    for m in (metrics, on_disk):
        assert 0.0 <= m["test_acc"] <= 1.0
        assert set(m["per_rotation"]) == {"0", "90", "180", "270"}
        assert set(m["extra_test"]) == {str(extra)}
        assert set(m["per_source"]) <= {"imagenet_sample", "sun_scenes", "tinyimagenet_val64"}
        assert np.asarray(m["confusion"]).sum() == 4 * m["n_test_photos"]
    acc = np.mean([metrics["per_rotation"][a] for a in ("0", "90", "180", "270")])
    assert acc == pytest.approx(metrics["test_acc"])
    names = {f["file"] for f in metrics["figures"]}
    assert {"confusion.png", "accuracy.png", "examples.png", "explain_0deg.png", "explain_predicted.png"} <= names
    for f in metrics["figures"]:
        assert Path(f["path"]).is_file() and Path(f["path"]).stat().st_size > 1000 and f["caption"]
    model, norm, cfg, meta = orient.load_model(d / "orientation.npz")
    assert meta["test"]["acc"] == pytest.approx(metrics["test_acc"])


def _extra_folder(tmp_path):
    """Five upright photos, two of which the shipped model was trained on (and must be dropped)."""
    import shutil
    from demos.orientation import DEFAULT_MODEL
    from models.datasets import DEFAULT_PHOTOS, file_hashes, find_photos
    extra = tmp_path / "extra"
    extra.mkdir()
    seen = set(orient.load_model(DEFAULT_MODEL)[3]["train_hashes"])
    bundled = find_photos(DEFAULT_PHOTOS / "sun_scenes")[:20]
    for p in [p for p, h in zip(bundled, file_hashes(bundled)) if h in seen][:2]:
        shutil.copy(p, extra / p.name)
    from PIL import Image
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray((rng.random((40, 60, 3)) * 255).astype(np.uint8)).save(extra / f"noise{i}.png")
    return extra


def test_demo_quick_with_the_shipped_model(tmp_path):
    from demos import orientation as demo
    extra = _extra_folder(tmp_path)
    metrics = demo.run(["--quick", "--no-progress", "--out", str(tmp_path), "--extra-test", str(extra)])
    _check_demo_output(tmp_path, metrics, extra)
    assert metrics["model"]["how"].startswith("loaded")
    assert metrics["extra_test_details"][str(extra)]["n_photos"] == 3  # the 2 bundled copies were dropped
    # the shipped model was trained on the bundled photos: what is left must be its held-out photos
    assert metrics["n_test_photos"] < demo.QUICK_PHOTOS / 2
    assert metrics["test_acc"] > 0.45  # a model that learned something (chance is 0.25)


def test_demo_quick_retrain(tmp_path):
    from demos import orientation as demo
    extra = _extra_folder(tmp_path)
    metrics = demo.run(["--quick", "--retrain", "--no-progress", "--out", str(tmp_path), "--extra-test", str(extra),
                        "--seed", "1"])
    _check_demo_output(tmp_path, metrics, extra)
    assert metrics["model"]["how"] == "retrained" and metrics["model"]["n_train_photos"] > 0
    assert any(f["file"] == "training.png" for f in metrics["figures"])


def test_shipped_model_is_what_retrain_would_train():
    # data/models/README.md documents one configuration: the file and `--retrain` must agree on it
    from demos.orientation import DEFAULT_CONFIG, DEFAULT_MODEL
    model, norm, cfg, meta = orient.load_model(DEFAULT_MODEL)
    assert cfg == DEFAULT_CONFIG
    assert DEFAULT_MODEL.stat().st_size < 6 * 2 ** 20  # three networks of 1.8 MB: keep the clone small
    assert len(meta["train_hashes"]) > 3000 and not set(meta["train_hashes"]) & set(meta["val_hashes"])


def test_experiment_cli_extra_training_photos_skip_held_out_and_duplicates(tmp_path):
    import shutil
    from PIL import Image
    from models.datasets import file_hashes, find_photos, split_photos
    rng = np.random.default_rng(0)
    data, extra = tmp_path / "data", tmp_path / "extra"
    for d, n, tag in ((data / "a", 20, "p"), (extra / "b", 4, "new")):
        d.mkdir(parents=True)
        for i in range(n):
            Image.fromarray((rng.random((10, 12, 3)) * 255).astype(np.uint8)).save(d / f"{tag}{i}.png")
    paths = find_photos(data)
    tr, va, te = split_photos(len(paths), seed=0)
    for i in (tr[0], va[0], te[0]):  # copies of a training, a validation and a test photo
        shutil.copy(paths[i], extra / "b" / f"copy_{paths[i].name}")
    from models import orientation_experiments as runs
    row = runs.main(["size=8", "widths=(4,)", "hidden=4", "epochs=1", "--data", str(data), "--extra-train",
                     str(extra), "--save", str(tmp_path / "m.npz"), "--name", "t"])
    assert row["n_train_photos"] == len(tr) + 4  # only the four new photos were added
    meta = orient.load_model(tmp_path / "m.npz")[3]
    held_out = set(file_hashes([paths[i] for i in np.concatenate([va, te])]))
    new = file_hashes([p for p in find_photos(extra) if p.name.startswith("new")])
    assert set(new) <= set(meta["train_hashes"]) and not held_out & set(meta["train_hashes"])
    assert len(meta["train_hashes"]) == len(set(meta["train_hashes"])) == len(tr) + 4
    assert meta["extra_train"] == [str(extra)]


def test_demo_quick_retrain_with_extra_training_photos(tmp_path):
    import shutil
    from PIL import Image
    from demos import orientation as demo
    from models.datasets import DEFAULT_PHOTOS, find_photos
    extra = tmp_path / "more"
    extra.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        Image.fromarray((rng.random((30, 30, 3)) * 255).astype(np.uint8)).save(extra / f"n{i}.png")
    quick = find_photos(DEFAULT_PHOTOS)  # the --quick subset takes evenly spaced photos, the first among them
    shutil.copy(quick[0], extra / "copy.jpg")
    base = ["--quick", "--retrain", "--no-progress", "--out", str(tmp_path)]
    plain = demo.run(base)
    more = demo.run(base + ["--extra-train", str(extra)])
    assert more["model"]["n_train_photos"] == plain["model"]["n_train_photos"] + 3  # the copy is not added
    assert more["model"]["extra_train"] == [str(extra)] and plain["model"]["extra_train"] == []
    with pytest.raises(SystemExit):
        demo.parse_args(["--extra-train", str(extra)])  # without --retrain it would silently do nothing


def test_combined_runs_are_the_ensemble_one_run_would_train(tmp_path):
    from PIL import Image
    from models import orientation_experiments as runs
    rng = np.random.default_rng(2)
    data = tmp_path / "data" / "a"
    data.mkdir(parents=True)
    for i in range(16):
        Image.fromarray((rng.random((10, 10, 3)) * 255).astype(np.uint8)).save(data / f"p{i}.png")
    base = ["size=8", "widths=(4,)", "hidden=4", "epochs=1", "batch_photos=4", "equivariant=True",
            "--data", str(data.parent)]
    for seed in (3, 4):
        runs.main(base + [f"seed={seed}", "--save", str(tmp_path / f"s{seed}.npz")])
    both = runs.main(base + ["seed=3", "ensemble=2", "--save", str(tmp_path / "one_run.npz")])
    combined = runs.main(["--data", str(data.parent), "--combine", str(tmp_path / "s3.npz"), str(tmp_path / "s4.npz"),
                          "--save", str(tmp_path / "combined.npz")])
    assert combined["val_acc"] == both["val_acc"] and combined["test_acc"] == both["test_acc"]
    a, b = orient.load_model(tmp_path / "one_run.npz"), orient.load_model(tmp_path / "combined.npz")
    assert a[2] == b[2] and a[2].ensemble == 2
    for (name, x), y in zip(a[0].state_dict().items(), b[0].state_dict().values()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    with pytest.raises(ValueError, match="s3.npz: seed 3, but network 2 of an ensemble starting at seed 4"):
        runs.combine([tmp_path / "s4.npz", tmp_path / "s3.npz"])
    runs.main(base + ["seed=4", "hidden=5", "--save", str(tmp_path / "other.npz")])
    with pytest.raises(ValueError, match="differs .* by more than the seed"):
        runs.combine([tmp_path / "s3.npz", tmp_path / "other.npz"])

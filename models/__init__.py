"""Vision demos built on minigrad (face recognition, photo orientation).

Submodules are imported explicitly, e.g. ``from models.datasets import load_faces``;
nothing is imported here so that ``import models`` stays cheap and does not need Pillow.
"""

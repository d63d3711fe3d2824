"""What a drawing shows, worked out from the tape alone (no graphviz here, so it is cheap to test).

The tape gives every recorded op with its scope: the dotted path of the nn.Module call that was
running ("MLP.fc1"). Module calls become nested clusters. Scopes are strings, so two calls of one
module are told apart by position: a call is a maximal run of consecutive ops (in execution order)
under the same path. A module shared between layers thus gets one cluster per use instead of one
cluster stretched across the whole network; two back-to-back calls of the same module merge.
"""
from __future__ import annotations

from .. import engine

FREED = ("cannot draw this graph: a backward without retain_graph=True has already freed it (its "
         "nodes no longer know their inputs). Draw before calling backward, or call "
         ".backward(retain_graph=True) to keep the graph drawable.")


class Call:
    """One module call: a cluster, or a single box when collapsed."""

    def __init__(self, name, parent, index):
        self.name = name                       # last component of the scope path ("fc1")
        self.parent = parent
        self.depth = 0 if parent is None else parent.depth + 1
        self.path = name if parent is None or parent.parent is None else f"{parent.path}.{name}"
        self.id = f"cluster_{index}"
        self.children = []                     # nested calls, in execution order
        self.boxes = []                        # ids of the boxes drawn directly inside
        self.direct = False                    # runs ops itself (a Sequential only runs children)
        if parent is not None:
            parent.children.append(self)

    def chain(self):
        """Calls from the outermost (depth 1) down to this one."""
        out, c = [], self
        while c is not None and c.parent is not None:
            out.append(c)
            c = c.parent
        return out[::-1]


class Box:
    """One drawn node: an op, a leaf (param / buffer / input / const) or a collapsed module call."""

    def __init__(self, id_, kind, tensor, node=None, call=None):
        self.id = id_
        self.kind = kind
        self.tensor = tensor       # the op's output, the leaf itself, or None for a module
        self.node = node
        self.name = None           # for leaves: parameter / buffer / tensor name
        self.call = call           # for kind == "module": the collapsed call
        self.ops = []              # for kind == "module": the (node, out) pairs inside
        self.inputs = []           # for kind == "module": tensors entering from outside
        self.outputs = []          # for kind == "module": tensors leaving it
        self.params = []           # for kind == "module": parameters used only inside
        self.order = 0.0           # emission order: leaves just before their first consumer, by slot


def is_parameter(t):
    # by name, so drawing never imports nn (nn sits above the core and may import us)
    return any(c.__name__ == "Parameter" for c in type(t).__mro__)


def leaf_kind(t):
    if is_parameter(t):
        return "param"
    return "input" if t.requires_grad else "const"


def read_tape(outputs):
    """The tape reachable from `outputs`, in execution order, or a clear error if it was freed."""
    try:
        entries = engine._tape(outputs)
    except RuntimeError as e:
        if str(e) == engine._FREED:
            raise RuntimeError(FREED) from None
        raise
    return entries[::-1]


class Layout:
    """Boxes, edges and the tree of module calls for `outputs`.

    `collapse`: 0 folds nothing, n folds each module call at depth n into one box, "auto" folds the
    children of the outermost calls (and an outermost call that has no children), looking through
    containers: a call that runs no op itself (a Sequential) shows its children folded instead.
    """

    def __init__(self, outputs, collapse=0, buffers=None):
        self.outputs = list(outputs)
        self.buffers = buffers or {}   # id(array) -> dotted name of a module buffer (needs the model)
        self.entries = read_tape(self.outputs)
        self.root = Call(None, None, 0)
        self.boxes = {}
        self.edges = []            # (src box id, dst box id)
        self._ncalls = 1
        op_call = self._calls()
        unit = self._ops(op_call, collapse)
        self._leaves(op_call, unit)
        self._edges(unit)

    # -- module calls --------------------------------------------------------------------------
    def _calls(self):
        stack, op_call = [self.root], {}
        self.entry_ops = set()     # id(node) of ops outside modules or first in an outermost call
        for _, node, _ in self.entries:
            parts = node.scope.split(".") if node.scope else []
            k = 0
            while k < len(parts) and k + 1 < len(stack) and stack[k + 1].name == parts[k]:
                k += 1
            del stack[k + 1:]
            if k == 0:
                self.entry_ops.add(id(node))
            for name in parts[k:]:
                stack.append(Call(name, stack[-1], self._ncalls))
                self._ncalls += 1
            stack[-1].direct = True
            op_call[id(node)] = stack[-1]
        return op_call

    def _ops(self, op_call, collapse):
        """One box per op, or per folded module call; returns id(node) -> box id."""
        unit = {}
        for i, (_, node, out) in enumerate(self.entries):
            call = op_call[id(node)]
            target = _fold_target(call.chain(), collapse)
            if target is not None:
                bid = f"mod{target.id.split('_')[1]}"
                if bid not in self.boxes:
                    self.boxes[bid] = Box(bid, "module", None, call=target)
                    self.boxes[bid].order = i
                    target.parent.boxes.append(bid)
                self.boxes[bid].ops.append((node, out))
            else:
                bid = f"op{i}"
                self.boxes[bid] = Box(bid, "op", out, node=node)
                self.boxes[bid].order = i
                call.boxes.append(bid)
            unit[id(node)] = bid
        return unit

    # -- leaves --------------------------------------------------------------------------------
    def _leaves(self, op_call, unit):
        consumers, first = {}, {}  # id(leaf) -> (leaf, [nodes using it]), index of the first user
        for i, (_, node, _) in enumerate(self.entries):
            for slot, x in enumerate(node.inputs):
                if x._node is None:
                    consumers.setdefault(id(x), (x, []))[1].append(node)
                    first.setdefault(id(x), i - 1 + (slot + 1) / (len(node.inputs) + 1))
        for t in self.outputs:     # an output that is itself a leaf still gets drawn
            if t._node is None:
                consumers.setdefault(id(t), (t, []))
        self.leaf_box, self.folded = {}, set()
        out_ids = {id(t) for t in self.outputs}
        for i, (t, users) in enumerate(consumers.values()):
            kind = leaf_kind(t)
            name = t.name
            if kind == "const" and id(t.data) in self.buffers:
                kind, name = "buffer", self.buffers[id(t.data)]
            # data stays outside modules, visible even when folded: inputs, and non-scalar constants
            # that an outermost module starts from (a batch of images) or that ops outside modules
            # use (targets); parameters, buffers, scalars and constants made inside (a dropout
            # mask) live in the module call that uses them
            data = kind == "input" or (kind == "const" and t.size > 1
                                       and any(id(n) in self.entry_ops for n in users))
            units = {unit[id(n)] for n in users}
            if (not data and len(units) == 1 and id(t) not in out_ids
                    and self.boxes[next(iter(units))].kind == "module"):
                box = self.boxes[next(iter(units))]   # folded into the module that alone uses it
                if kind == "param":
                    box.params.append(t)
                self.folded.add(id(t))
                continue
            bid = f"leaf{i}"
            self.boxes[bid] = Box(bid, kind, t)
            self.boxes[bid].name = name
            self.boxes[bid].order = first.get(id(t), len(self.entries))
            self.leaf_box[id(t)] = bid
            home = self.root if data or not users else self._common([op_call[id(n)] for n in users])
            home.boxes.append(bid)

    # -- edges ---------------------------------------------------------------------------------
    def _edges(self, unit):
        seen = set()
        out_ids = {id(t) for t in self.outputs}
        for _, node, out in self.entries:
            dst = unit[id(node)]
            for x in node.inputs:
                if id(x) in self.folded:
                    continue
                src = unit[id(x._node)] if x._node is not None else self.leaf_box[id(x)]
                if src == dst:
                    continue
                if dst.startswith("mod"):
                    _add_once(self.boxes[dst].inputs, x)
                if src.startswith("mod"):
                    _add_once(self.boxes[src].outputs, x)
                # one arrow per input slot between ops (x * x shows two); modules connect once
                if src.startswith("mod") or dst.startswith("mod"):
                    if (src, dst) in seen:
                        continue
                    seen.add((src, dst))
                self.edges.append((src, dst))
            if id(out) in out_ids and dst.startswith("mod"):
                _add_once(self.boxes[dst].outputs, out)

    def _common(self, calls):
        """The innermost call containing all of `calls` (the root when they share none)."""
        common = self.root
        for level in zip(*[c.chain() for c in calls]):
            if any(c is not level[0] for c in level):
                break
            common = level[0]
        return common

def _add_once(lst, t):
    if all(t is not u for u in lst):
        lst.append(t)


def _fold_target(chain, collapse):
    """The call that an op inside `chain` (outermost first) is folded into, or None."""
    if not collapse or not chain:
        return None
    if collapse == "auto":
        # children of the outermost call, looking through containers such as Sequential
        if len(chain) == 1:
            return chain[0] if not chain[0].children else None
        for call in chain[1:]:
            if call.direct or not call.children:
                return call
        return chain[-1]
    return chain[collapse - 1] if len(chain) >= collapse else None

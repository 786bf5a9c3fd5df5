"""Hidden-layer knowledge: FitNets hints and relational (RKD) losses between two nets.

The teacher's activations at the named layers are taken once, before the student trains, with
forward hooks on the teacher's module in eval mode and without gradients (hooks removed and the
mode restored afterwards, also on error). In eval mode a row's activations do not depend on the
other rows of its batch, so these are exactly the activations of the teacher run on each of the
student's batches, at the cost of one forward pass instead of one per batch and epoch. They
travel in the packed targets beside the soft targets, so each batch carries its own rows'
activations; the student's come from forward hooks on its module during its own forward pass.
"""

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from .._sklearn_compat import _safe_indexing
from ._losses import hint_loss, rkd_angle_loss, rkd_distance_loss
from ._skorch import check_numeric_X
from ._teacher import TorchTeacher, _module_device

RELATION_LOSSES = ("distance", "angle", "both")
# Park et al. weigh the angle term twice the distance term (lambda_D = 1, lambda_A = 2)
ANGLE_WEIGHT_IN_BOTH = 2.0
PENULTIMATE = None  # the input of the last layer with parameters that the forward pass calls


class FeatureTargets:
    """What the student's training needs for hints and relations: the pairs of layer names, the
    weights, and the teacher's activations for every training row (``columns``)."""

    def __init__(
        self,
        hints,
        hint_weight,
        relation_loss,
        relation_weight,
        relation_layers,
        angle_anchors=None,
    ):
        self.hints = [tuple(pair) for pair in hints]
        self.hint_weight = float(hint_weight)
        self.relation_loss = relation_loss
        self.relation_weight = float(relation_weight)
        self.relation_layers = relation_layers
        self.angle_anchors = angle_anchors  # vertices of the angle loss per batch; None: all
        self.columns = None  # (n_rows, sum of widths) float32, set by ``take_teacher``
        self.widths = []

    @property
    def teacher_paths(self):
        paths = [teacher for teacher, _ in self.hints]
        if self.relation_loss is not None:
            paths.append(None if self.relation_layers is None else self.relation_layers[0])
        return paths

    @property
    def student_paths(self):
        paths = [student for _, student in self.hints]
        if self.relation_loss is not None:
            paths.append(None if self.relation_layers is None else self.relation_layers[1])
        return paths

    def take_teacher(self, teacher, X, batch_size, cached=None):
        """Run the teacher over X once and keep its activations at the named layers.

        ``cached(key, call)``, when given, is a cache of the teacher's outputs on X (the
        distiller's in-process cache): the activations of all the layers are one entry, so a
        second fit on the same rows (a grid search, a benchmark's repeats) asks the teacher for
        them on one row only (for the layers' widths), as it does not ask for its soft targets.
        """
        paths = self.teacher_paths

        def take(rows):
            module, rows = _teacher_module(teacher, rows)
            return layer_outputs(module, rows, paths, batch_size, "teacher")

        if cached is None:
            outputs = take(X)
            self.widths = [block.shape[1] for block in outputs]
            self.columns = np.hstack(outputs).astype(np.float32, copy=False)
            return self

        def call():
            return np.hstack(take(X)).astype(np.float32, copy=False)

        self.columns = cached(f"hidden layers {paths!r}", call)
        self.widths = [block.shape[1] for block in take(_safe_indexing(X, slice(0, 1)))]
        return self


def check_pairs(hints, relation_loss, relation_layers):
    """The hint pairs as a list of (teacher_path, student_path); clear errors for bad shapes."""
    hints = [] if hints is None else list(hints)
    for pair in hints:
        if not (
            isinstance(pair, (tuple, list))
            and len(pair) == 2
            and all(isinstance(p, str) for p in pair)
        ):
            raise ValueError(
                f"hints must be a list of (teacher_path, student_path) pairs of module names, "
                f"got the item {pair!r} in hints={hints!r}. Example: hints=[('layers.4', "
                "'layers.6')]; the names are those of module.named_modules()."
            )
    if relation_layers is not None:
        pair = relation_layers
        if not (
            isinstance(pair, (tuple, list))
            and len(pair) == 2
            and all(isinstance(p, str) for p in pair)
        ):
            raise ValueError(
                f"relation_layers must be None (each net's penultimate layer) or a "
                f"(teacher_path, student_path) pair of module names, got {pair!r}."
            )
        if relation_loss is None:
            raise ValueError(
                f"relation_layers={pair!r} names the layers of a relation loss, but "
                "relation_loss is None. Set relation_loss='distance', 'angle' or 'both'."
            )
    return [tuple(pair) for pair in hints]


def _teacher_module(teacher, X):
    """The teacher's torch module and X as that module takes it."""
    if isinstance(teacher, Pipeline):
        X = teacher[:-1].transform(X)
        teacher = teacher.steps[-1][1]
    if isinstance(teacher, TorchTeacher):
        module = teacher.module
    elif _is_skorch(teacher) and hasattr(teacher, "module_"):
        module = teacher.module_
    else:
        raise TypeError(
            f"hints and relation losses match the teacher's hidden layers, but the teacher "
            f"{type(teacher).__name__} has no torch module (a forest or a boosted model has no "
            "hidden layers). Use a TorchTeacher or a fitted skorch net as the teacher, or drop "
            "hints and relation_loss."
        )
    return module, check_numeric_X(X, owner="a teacher asked for its hidden layers")


def _is_skorch(estimator):
    return any(cls.__module__.split(".")[0] == "skorch" for cls in type(estimator).__mro__)


def check_paths(module, paths, owner):
    """Raise a clear error for a name that is not one of the module's ``named_modules()``."""
    names = dict(module.named_modules())
    for path in paths:
        if path is not None and path not in names:
            available = [name for name in names if name]
            raise ValueError(
                f"the {owner}'s module {type(module).__name__} has no layer {path!r}. Its "
                f"layers (module.named_modules()) are: {available[:40]}."
            )
    return names


class LayerTaps:
    """Forward hooks that keep the latest output of named layers (and, for a path of None, the
    input of the last layer with parameters that was called); ``remove`` detaches them all."""

    def __init__(self, module, paths, owner):
        names = check_paths(module, paths, owner)
        self.paths = list(paths)
        self.values = {}
        self.last_input = None
        self.last_layer = None
        self.handles = []
        self.leaf_handles = {}
        for path in dict.fromkeys(p for p in paths if p is not None):
            self.handles.append(names[path].register_forward_hook(self._keep_output(path)))
        if None in paths:
            leaves = [
                layer
                for layer in module.modules()
                if not any(True for _ in layer.children())
                and any(True for _ in layer.parameters(recurse=False))
            ]
            if not leaves:
                raise ValueError(
                    f"the {owner}'s module {type(module).__name__} has no layer with "
                    "parameters, so it has no penultimate layer to take embeddings from. Name "
                    "the embedding layers with relation_layers=(teacher_path, student_path)."
                )
            for layer in leaves:
                self.leaf_handles[layer] = layer.register_forward_hook(self._keep_input)

    def _keep_output(self, path):
        def hook(module, inputs, output):
            if isinstance(output, (tuple, list)):
                output = output[0]
            self.values[path] = output

        return hook

    def _keep_input(self, module, inputs, output):
        self.last_input = inputs[0]
        self.last_layer = module

    def settle(self):
        """After a forward pass: keep only the hook of the layer that pass called last (the
        penultimate layer's input), so the training's forward passes run one hook, not one per
        layer with parameters."""
        if self.last_layer is None:
            return
        for layer, handle in list(self.leaf_handles.items()):
            if layer is not self.last_layer:
                handle.remove()
                del self.leaf_handles[layer]

    def taken(self):
        """The kept activations, one 2d tensor per path, in the order of ``paths``."""
        out = []
        for path in self.paths:
            value = self.last_input if path is None else self.values.get(path)
            if value is None:
                raise ValueError(
                    f"the layer {path!r} was not called in the forward pass, so it has no "
                    "activations to match. Name a layer that the module's forward uses."
                )
            out.append(value.reshape(len(value), -1))
        return out

    def remove(self):
        for handle in [*self.handles, *self.leaf_handles.values()]:
            handle.remove()
        self.handles = []
        self.leaf_handles = {}


def layer_outputs(module, X, paths, batch_size, owner):
    """Activations of ``module`` at ``paths`` for the float32 array X, in eval mode and without
    gradients, batch by batch, as float32 numpy; hooks removed and mode restored afterwards."""
    device = _module_device(module)
    was_training = module.training
    taps = LayerTaps(module, paths, owner)
    blocks = [[] for _ in paths]
    try:
        module.eval()
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                rows = np.require(X[start : start + batch_size], requirements=["W"])
                module(torch.as_tensor(rows, device=device))
                for block, value in zip(blocks, taps.taken()):
                    block.append(value.detach().to("cpu", torch.float32).numpy())
    finally:
        taps.remove()
        module.train(was_training)
    return [np.concatenate(block) for block in blocks]


class StudentFeatures:
    """The student's side during training: hooks on its module, the FitNets regressors (trained
    with the net's optimizer and dropped afterwards) and the feature loss of a batch."""

    def __init__(self, net, features, X, random_state=None):
        self.features = features
        module = net.module_
        self.taps = LayerTaps(module, features.student_paths, "student")
        self.regressors = []
        self.optimizer = None
        self.params = []
        # the angle loss's anchors come from a generator of their own, seeded from the
        # distiller's random_state: torch's global stream (the batches' order) is not touched
        self.anchors = None
        if features.relation_loss in ("angle", "both") and features.angle_anchors is not None:
            self.anchors = torch.Generator()
            if random_state is None:
                self.anchors.seed()
            else:
                self.anchors.manual_seed(int(random_state))
        try:
            self._probe(net, module, X)
            self.taps.settle()
            self._make_regressors(net)
        except BaseException:
            self.remove()
            raise

    @staticmethod
    def _probe(net, module, X):
        """A forward pass on two rows in eval mode, for the taps to see the layers' widths."""
        was_training = module.training
        try:
            module.eval()
            with torch.no_grad():
                rows = np.require(X[:2], requirements=["W"])
                net.infer(torch.as_tensor(rows, device=net.device))
        finally:
            module.train(was_training)

    def _make_regressors(self, net):
        student_widths = [value.shape[1] for value in self.taps.taken()]
        teacher_widths = self.features.widths
        params = []
        n_hints = len(self.features.hints)
        for s_width, t_width in zip(student_widths[:n_hints], teacher_widths[:n_hints]):
            if s_width == t_width:
                self.regressors.append(None)
                continue
            regressor = torch.nn.Linear(s_width, t_width).to(net.device)
            self.regressors.append(regressor)
            params += list(regressor.parameters())
        if params:
            self.optimizer = net.optimizer_
            groups = self.optimizer.param_groups
            if len(groups) == 1 and _same_settings(groups[0], self.optimizer.defaults):
                # the net's one group has the settings a new group would get: the regressors
                # join it, the same update in one pass of the optimizer's loop instead of two
                groups[0]["params"].extend(params)
            else:
                self.optimizer.add_param_group({"params": params})
            self.params = params

    def loss(self, features, weight):
        """hint_weight * sum of the hint losses + relation_weight * the relation loss."""
        taken = self.taps.taken()
        teacher_blocks = torch.split(features, self.features.widths, dim=1)
        # summed as Python terms, and a weight of 1 not multiplied: each operation on a scalar
        # is one more node for autograd to run, a cost a small student's batch feels
        terms = []
        n_hints = len(self.features.hints)
        for student, teacher, regressor in zip(taken, teacher_blocks, self.regressors):
            if regressor is not None:
                student = regressor(student)
            terms.append(_weighted(self.features.hint_weight, hint_loss(student, teacher, weight)))
        if self.features.relation_loss is not None:
            student, teacher = taken[n_hints], teacher_blocks[n_hints]
            kind = self.features.relation_loss
            relation = []
            if kind in ("distance", "both"):
                relation.append(rkd_distance_loss(student, teacher))
            if kind in ("angle", "both"):
                scale = ANGLE_WEIGHT_IN_BOTH if kind == "both" else 1.0
                anchors = self._draw_anchors(len(student), student.device)
                relation.append(_weighted(scale, rkd_angle_loss(student, teacher, anchors=anchors)))
            terms.append(_weighted(self.features.relation_weight, sum(relation[1:], relation[0])))
        return sum(terms[1:], terms[0])

    def _draw_anchors(self, n_rows, device):
        """``angle_anchors`` distinct rows of the batch, uniformly at random; None (every row)
        when the batch has no more rows than that."""
        if self.anchors is None or n_rows <= self.features.angle_anchors:
            return None
        rows = torch.randperm(n_rows, generator=self.anchors)[: self.features.angle_anchors]
        return rows.to(device)

    def remove(self):
        """Detach the hooks and drop the regressors from the optimizer."""
        self.taps.remove()
        if self.optimizer is not None:
            regressors = {id(param) for param in self.params}
            groups = self.optimizer.param_groups
            for group in groups:
                group["params"] = [p for p in group["params"] if id(p) not in regressors]
            self.optimizer.param_groups = [group for group in groups if group["params"]]
            for param in self.params:
                self.optimizer.state.pop(param, None)
            self.optimizer = None
            self.params = []
        self.regressors = []


def _same_settings(group, defaults):
    """Whether a parameter group's settings are the optimizer's defaults (the group a new
    ``add_param_group`` would make)."""
    for key, value in defaults.items():
        mine = group.get(key)
        if torch.is_tensor(mine) or torch.is_tensor(value):
            if not (torch.is_tensor(mine) and torch.is_tensor(value) and torch.equal(mine, value)):
                return False
        elif mine != value:
            return False
    return True


def _weighted(weight, term):
    return term if weight == 1.0 else weight * term

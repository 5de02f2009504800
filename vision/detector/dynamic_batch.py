"""A batch-1 export made dynamic-batch in memory: the graph's batch dimension freed, its Reshape constants fixed.

The bundled yolox_nano.onnx is exported with batch 1 built in: relabelling its input alone gives a
(1, 3549 x N, 85) output, because three Reshape nodes hard-code ``[1, 85, -1]``. Setting their first
element to 0 (ONNX: copy that dimension from the input) and the graph's input/output batch dimensions to
a symbol makes one ``session.run`` take N frames; outputs are bit-identical to batch 1 (checked in
tests). The weights file is never changed on disk.

Needs the ``onnx`` package (an optional extra, not a runtime dependency): without it, or for a graph
whose Reshape constants do not start with the batch (then a fix could be wrong), the answer is None
and callers keep batch 1.

Measured (bench/README.md): on CPU a batch costs as much CPU per image as single runs, or more
(yolox_nano, 1 thread: ~17 ms at batch 1, ~19 ms at batch 8); batching is the lever for GPUs,
where one launch per round replaces one per camera.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def onnx_available() -> bool:
    return importlib.util.find_spec("onnx") is not None


def dynamic_batch_model(path: Path) -> bytes | None:
    """The model at ``path`` as a serialized dynamic-batch graph, or None when it cannot be made safely."""
    if not onnx_available():
        return None
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        return None
    shape_inputs = {node.input[1] for node in graph.node if node.op_type == "Reshape"}
    initializers = {init.name: init for init in graph.initializer}
    if not shape_inputs <= initializers.keys():
        return None  # a shape computed at run time: nothing to fix, or nothing this can fix safely
    for name in shape_inputs:
        shape = numpy_helper.to_array(initializers[name]).copy()
        if shape.ndim != 1 or shape.size == 0 or shape[0] not in (0, 1):
            return None
        shape[0] = 0  # copy the batch dimension from the Reshape's input
        initializers[name].CopyFrom(numpy_helper.from_array(shape, name))
    for value in (graph.input[0], graph.output[0]):
        dims = value.type.tensor_type.shape.dim
        if not dims or dims[0].dim_value not in (0, 1):
            return None
        dims[0].dim_param = "batch"
    del graph.value_info[:]  # intermediate shapes recorded with batch 1; ORT infers them again
    return bytes(model.SerializeToString())

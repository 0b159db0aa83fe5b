# test_export_model.py MODEL.onnx CLASS,NAMES: Debian python3-onnx's full checker, and the
# interface test_export_model.sh relies on (opset, input/output names, dynamic batch,
# class names and normalisation in metadata_props).
import json, sys
import onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
assert m.opset_import[0].version >= 13, m.opset_import
inp = m.graph.input[0]
assert inp.name == "input" and inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
dims = inp.type.tensor_type.shape.dim
assert len(dims) == 4 and dims[0].dim_param and dims[1].dim_value == 3, dims
assert [o.name for o in m.graph.output] == ["logits", "probabilities"]
props = {p.key: p.value for p in m.metadata_props}
assert json.loads(props["class_names"]) == sys.argv[2].split(","), props.get("class_names")
for k in ("mean", "std", "input_size", "arch"):
    assert k in props, k
print("onnx checker (full_check) ok:", props["arch"], props["padding"], len(m.graph.node), "nodes")

#!/usr/bin/env python3
"""Rewrite a zip-format PyTorch state dict (.pth) in torch's legacy format
(torch.save(..., _use_new_zipfile_serialization=False), the format of older
torchvision files such as mobilenet_v2-b0353104.pth). Standard library only.

Usage: pth_to_legacy.py IN.pth OUT.pth

Legacy layout: pickle(magic 0x1950a86a20f9469cfc6c), pickle(1001), pickle(sys_info),
pickle(state dict; storages as persistent ids ('storage', torch.FloatStorage, key,
'cpu', numel, None); tensors as torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, requires_grad, OrderedDict())), pickle(sorted storage keys), then
per storage: int64 little-endian element count and the raw bytes.
"""
import collections
import io
import pickle
import struct
import sys
import types
import zipfile

# Stand-ins for the torch globals the pickles name. Registering them as modules
# lets pickle write the same GLOBAL opcodes torch writes.
torch_mod = types.ModuleType("torch")
utils_mod = types.ModuleType("torch._utils")
sys.modules["torch"] = torch_mod
sys.modules["torch._utils"] = utils_mod
torch_mod._utils = utils_mod

STORAGE_TYPES = {}
for name, size in (("FloatStorage", 4), ("DoubleStorage", 8), ("HalfStorage", 2), ("LongStorage", 8),
                   ("IntStorage", 4), ("BFloat16Storage", 2), ("ByteStorage", 1), ("BoolStorage", 1)):
    cls = type(name, (), {"element_size": size})
    cls.__module__ = "torch"
    setattr(torch_mod, name, cls)
    STORAGE_TYPES[name] = cls


class Storage:
    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel


class Tensor:
    def __init__(self, storage, offset, size, stride, requires_grad):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad = requires_grad

    def __reduce__(self):
        return (utils_mod._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, self.requires_grad,
                 collections.OrderedDict()))


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, *rest):
    return Tensor(storage, offset, tuple(size), tuple(stride), requires_grad)


_rebuild_tensor_v2.__module__ = "torch._utils"
utils_mod._rebuild_tensor_v2 = _rebuild_tensor_v2


class ZipUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_TYPES:
            return STORAGE_TYPES[name]
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise pickle.UnpicklingError("unexpected global %s.%s" % (module, name))

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel)
        return Storage(pid[1], pid[2], pid[4])


class LegacyPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.cls, obj.key, "cpu", obj.numel, None)
        return None


def main():
    src, dst = sys.argv[1], sys.argv[2]
    zf = zipfile.ZipFile(src)
    pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl"))
    prefix = pkl[: -len("data.pkl")]
    state = ZipUnpickler(io.BytesIO(zf.read(pkl))).load()
    storages = {}
    for v in state.values():
        if isinstance(v, Tensor):
            storages[v.storage.key] = v.storage
    with open(dst, "wb") as f:
        pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 4}}, f, protocol=2)
        LegacyPickler(f, protocol=2).dump(state)
        keys = sorted(storages)
        pickle.dump(keys, f, protocol=2)
        for k in keys:
            data = zf.read(prefix + "data/" + k)
            st = storages[k]
            assert len(data) == st.numel * st.cls.element_size, k
            f.write(struct.pack("<q", st.numel))
            f.write(data)


if __name__ == "__main__":
    main()

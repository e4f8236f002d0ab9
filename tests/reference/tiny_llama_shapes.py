"""Tensor names and shapes of the tiny Llama-named checkpoints the reference scripts write (HF layout)."""

SHAPES = {
    "model.embed_tokens.weight": [64, 32],
    "model.layers.0.input_layernorm.weight": [32],
    "model.layers.0.self_attn.q_proj.weight": [32, 32],
    "model.layers.0.mlp.up_proj.weight": [48, 32],
    "model.layers.1.self_attn.q_proj.weight": [32, 32],
    "model.layers.1.mlp.down_proj.weight": [32, 48],
    "model.norm.weight": [32],
}

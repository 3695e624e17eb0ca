//! ggml tensor codecs, bit-exact with llama.cpp.

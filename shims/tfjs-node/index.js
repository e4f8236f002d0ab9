// Re-export the one tfjs engine so danfojs-node and rftlab share tensors and backends.
module.exports = require("@tensorflow/tfjs");
module.exports.__rftlabShim = true;

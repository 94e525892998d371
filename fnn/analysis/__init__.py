"""Looking inside a network: backprop on one example, layer health, evaluation reports."""

"""Convolution and max-pooling layers (being written for the CNN issue)."""


def _todo(*args, **kwargs):
    raise NotImplementedError("conv/maxpool layers are not implemented yet")


conv_param_shapes = conv_out_shape = conv_forward = conv_backward = _todo
maxpool_out_shape = maxpool_forward = maxpool_backward = _todo

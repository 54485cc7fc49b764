"""The bottom layer: skeletons, the declared motion format, motion files, rotations, kinematics,
frame-rate conversion, landmark layouts and the error types.

It imports nothing else of motiongen (numpy, scipy and numba only; torch only inside functions that
take tensors), so separate consumers such as ``render/`` can read generated motion with it alone.
"""

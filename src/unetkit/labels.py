"""Label conventions shared by every floor: the ignore label.

Pixels carrying IGNORE_INDEX (void regions of a mask, and everything outside a region-of-interest
mask) are left out of losses and metrics and drawn grey/white. This is the one place it is defined;
functions take it as an `ignore_index` argument defaulting to this value.
"""
IGNORE_INDEX = 255

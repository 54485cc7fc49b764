"""The bottom layer: types and tables every other layer reads; imports only numpy and the standard library."""

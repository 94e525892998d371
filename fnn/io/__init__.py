"""Reading and writing files: MNIST CSVs, model files, atomic writes."""

"""What the tests expect of the project's files, spelled out once."""

MODEL_FOLDER_FILES = {
    "config.json",
    "model.safetensors",
    "README.md",
    "metrics.json",
    "training_curves.png",
    "confusion_matrix.png",
    "misses.safetensors",
    "misses.png",
}

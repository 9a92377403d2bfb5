"""Sample structure: read a field of a sample by key or position, and rebuild the sample.

A sample handed around by a dataset is one of:

- a tuple or list ``(input, target, *extra)``, fields addressed by an int position
  (a namedtuple is a tuple whose type is kept when it is rebuilt);
- a dict (any mapping), fields addressed by a str key;
- a bare object (a tensor, an array, a string), which is the whole sample
  (key ``None``).

This module is the one place that knows these shapes: the dataset wrappers use it to
pick the input to augment and put the result back, the collates to find the input and
target of each sample and to give the batch the structure of its samples. Nothing here
copies or changes what the user owns: a rebuilt sample is a new container holding the
same objects.

Example:
    >>> from collections import namedtuple
    >>> Pair = namedtuple("Pair", "image label")
    >>> s = Pair("img", 3)
    >>> get_field(s, 0), replace_fields(s, {0: "flipped"})
    ('img', Pair(image='flipped', label=3))
    >>> d = {"image": "img", "label": 3}
    >>> resolve_key(d, None, name="input_key"), resolve_key(d, None, name="target_key", candidates=TARGET_KEYS)
    ('image', 'label')
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "INPUT_KEYS",
    "TARGET_KEYS",
    "Key",
    "check_key",
    "check_same_fields",
    "describe_fields",
    "field_names",
    "get_field",
    "is_namedtuple",
    "rebuild",
    "replace_fields",
    "resolve_key",
]

#: Dict keys taken as the input when no key is given (exactly one must be present):
#: images, audio and token ids as the common dataset libraries name them.
INPUT_KEYS = ("input", "image", "img", "pixel_values", "waveform", "audio", "input_values", "input_ids")
#: Dict keys taken as the target when no key is given (exactly one must be present).
TARGET_KEYS = ("target", "label", "labels")

#: A field address: an int position (tuple/list samples), a str key (dict samples),
#: or ``None`` for the whole sample.
Key = None | int | str


def _prefix(owner: str) -> str:
    return f"{owner}: " if owner else ""


def check_key(name: str, value: Any, *, owner: str = "") -> Key:
    """Check a field address given as an argument.

    Args:
        name: the argument's name, for the error message.
        value: ``None``, an int position or a str key.
        owner: the class or function name that prefixes error messages.

    Returns:
        The address, with integral numbers (numpy ints too) turned into ``int``.

    Raises:
        TypeError: for any other type (bools included).

    Example:
        >>> check_key("input_key", 1), check_key("input_key", "image"), check_key("input_key", None)
        (1, 'image', None)
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{_prefix(owner)}{name} must be None, an int position or a str key, got {value!r}")


def is_namedtuple(sample: Any) -> bool:
    """Whether ``sample`` is a namedtuple (a tuple whose type has ``_fields`` and ``_make``).

    Args:
        sample: any object.

    Returns:
        Whether it is a namedtuple.

    Example:
        >>> from collections import namedtuple
        >>> is_namedtuple(namedtuple("P", "a b")(1, 2)), is_namedtuple((1, 2))
        (True, False)
    """
    return isinstance(sample, tuple) and hasattr(sample, "_fields") and hasattr(sample, "_make")


def field_names(sample: Any) -> list[Any]:
    """The addresses of a sample's fields: its keys (dict) or positions (tuple/list).

    Args:
        sample: a tuple/list or a mapping.

    Returns:
        The keys or positions.

    Raises:
        TypeError: if ``sample`` is neither a mapping nor a tuple/list.

    Example:
        >>> field_names({"image": 0, "label": 1}), field_names(("x", 1, "id"))
        (['image', 'label'], [0, 1, 2])
    """
    if isinstance(sample, Mapping):
        return list(sample.keys())
    if isinstance(sample, (tuple, list)):
        return list(range(len(sample)))
    raise TypeError(f"a sample with fields must be a tuple/list or a dict, got {type(sample).__name__}")


def describe_fields(sample: Any) -> str:
    """A short text naming what a sample offers, for error messages.

    Args:
        sample: any sample.

    Returns:
        The description.

    Example:
        >>> describe_fields({"b": 1, "a": 2}), describe_fields((1, 2, 3)), describe_fields(5)
        ("keys ['a', 'b']", 'positions 0..2', 'a bare int')
    """
    if isinstance(sample, Mapping):
        return f"keys {sorted(map(str, sample))}"
    if isinstance(sample, (tuple, list)):
        return f"positions 0..{len(sample) - 1}" if len(sample) else "no fields (empty sequence)"
    return f"a bare {type(sample).__name__}"


def get_field(sample: Any, key: Key, *, index: Any = 0, owner: str = "") -> Any:
    """Read one field of a sample.

    Args:
        sample: a tuple/list, a mapping, or a bare object.
        key: an int position, a str key, or ``None`` for the whole sample.
        index: how the error message names the sample (a batch position or dataset index).
        owner: the class or function name that prefixes error messages.

    Returns:
        ``sample[key]``, or ``sample`` itself when ``key`` is ``None``.

    Raises:
        KeyError: a dict sample without ``key``.
        IndexError: a position out of range.
        TypeError: a key the sample cannot be indexed with.

    Example:
        >>> get_field(("x", 1), -1), get_field({"label": 2}, "label"), get_field("text", None)
        (1, 2, 'text')
    """
    if key is None:
        return sample
    try:
        return sample[key]
    except (KeyError, IndexError, TypeError) as e:
        exc = KeyError if isinstance(e, KeyError) else IndexError if isinstance(e, IndexError) else TypeError
        raise exc(
            f"{_prefix(owner)}sample {index} has no entry {key!r} (it has {describe_fields(sample)}); "
            "set input_key/target_key"
        ) from None


def resolve_key(
    sample: Any,
    key: Key,
    *,
    name: str = "input_key",
    candidates: Sequence[str] = INPUT_KEYS,
    default_position: int = 0,
    index: Any = 0,
    owner: str = "",
) -> int | str:
    """Turn a field argument into the concrete address of the field in ``sample``.

    For dict samples, ``key=None`` picks the one key of ``candidates`` present (it never
    guesses between several), and a given key must be present. For tuple/list samples,
    ``key=None`` means ``default_position``, a given key must be an int in range, and
    negative positions are normalised.

    Args:
        sample: a tuple/list or a mapping.
        key: the argument as given by the user (``None``, an int or a str).
        name: the argument's name (``"input_key"``, ``"target_key"``), for messages.
        candidates: dict keys accepted when ``key`` is ``None``.
        default_position: the position used for tuple samples when ``key`` is ``None``.
        index: how the error message names the sample.
        owner: the class or function name that prefixes error messages.

    Returns:
        A key present in the dict, or a non-negative position within the sequence.

    Raises:
        ValueError: no or several candidates present, a key not in the dict, a position
            out of range.
        TypeError: a str key for a tuple sample, or a sample that is neither a tuple/list
            nor a mapping.

    Example:
        >>> resolve_key(("x", 1, "id"), -1, name="target_key")
        2
        >>> resolve_key({"waveform": 0, "label": 1}, None)
        'waveform'
    """
    p = _prefix(owner)
    what = name[:-4] if name.endswith("_key") else name
    if isinstance(sample, Mapping):
        if key is None:
            found = [k for k in candidates if k in sample]
            if len(found) != 1:
                raise ValueError(
                    f"{p}cannot tell the {what} of dict sample {index} with keys {sorted(map(str, sample))}: "
                    f"{'none' if not found else 'several'} of {list(candidates)} present; pass {name}= explicitly"
                )
            return found[0]
        if not isinstance(key, str) or key not in sample:
            raise ValueError(
                f"{p}{name}={key!r} is not a key of dict sample {index} (keys: {sorted(map(str, sample))})"
            )
        return key
    if isinstance(sample, (tuple, list)):
        k = default_position if key is None else key
        if not isinstance(k, int):
            raise TypeError(
                f"{p}{name}={k!r} is a str but sample {index} is a {type(sample).__name__}; "
                "use an int position for tuple samples"
            )
        if not -len(sample) <= k < len(sample):
            raise ValueError(f"{p}{name}={k} is out of range for sample {index} of length {len(sample)}")
        return k % len(sample)
    raise TypeError(
        f"{p}sample {index} must be a tuple/list (input, target, ...) or a dict, got {type(sample).__name__}"
    )


def check_same_fields(batch: Sequence[Any], *, owner: str = "", where: Any = None) -> list[Any]:
    """Check that every sample of a batch has the fields of sample 0 and return them.

    Args:
        batch: the samples; sample 0 must be a tuple/list or a mapping.
        owner: the class or function name that prefixes error messages.
        where: optional ``where(i) -> str`` naming sample ``i`` (for example with its dataset
            index); default ``"sample i"``.

    Returns:
        The field addresses of sample 0 ([field_names][loaders.structure.field_names]).

    Raises:
        ValueError: a dict sample with other keys, or a tuple/list sample of another length or type.
        TypeError: sample 0 is neither a tuple/list nor a mapping.

    Example:
        >>> check_same_fields([("a", 0), ("b", 1)])
        [0, 1]
        >>> check_same_fields([{"x": 0}, {"y": 1}])
        Traceback (most recent call last):
        ...
        ValueError: sample 1 has keys ['y'], expected the keys of sample 0 ['x']
    """
    p = _prefix(owner)
    name = where or (lambda i: f"sample {i}")
    first = batch[0]
    if not isinstance(first, (Mapping, tuple, list)):
        raise TypeError(f"{p}{name(0)} must be a tuple/list (input, target, ...) or a dict, got {type(first).__name__}")
    fields = field_names(first)
    same_type = len(set(map(type, batch))) == 1
    if isinstance(first, Mapping):
        if not same_type or any(s.keys() != first.keys() for s in batch):
            for i, s in enumerate(batch):
                if not isinstance(s, Mapping) or s.keys() != first.keys():
                    got = sorted(map(str, s)) if isinstance(s, Mapping) else type(s).__name__
                    raise ValueError(
                        f"{p}{name(i)} has keys {got}, expected the keys of sample 0 {sorted(map(str, fields))}"
                    )
    elif not same_type or len(set(map(len, batch))) != 1:
        for i, s in enumerate(batch):
            if not isinstance(s, (tuple, list)) or len(s) != len(first):
                raise ValueError(
                    f"{p}{name(i)} is {type(s).__name__} of length {len(s) if hasattr(s, '__len__') else '?'}, "
                    f"expected length {len(first)} like sample 0"
                )
    return fields


def replace_fields(sample: Any, new: Mapping[Any, Any]) -> Any:
    """A copy of ``sample`` with some fields replaced (the user's object is never assigned into).

    Args:
        sample: a tuple (namedtuples keep their type), a list, or a mapping (the copy is a
            ``dict``, or ``sample.copy()`` for a ``dict``).
        new: field address -> new value; the address ``None`` replaces the whole sample.
            For mappings new keys are added.

    Returns:
        The rebuilt sample.

    Example:
        >>> s = ("x", 1)
        >>> replace_fields(s, {0: "y"}), s
        (('y', 1), ('x', 1))
        >>> replace_fields({"a": 1}, {"b": 2}), replace_fields("x", {None: "y"})
        ({'a': 1, 'b': 2}, 'y')
    """
    if None in new:
        return new[None]
    if isinstance(sample, tuple):
        items = list(sample)
        for k, v in new.items():
            items[k] = v
        return type(sample)._make(items) if is_namedtuple(sample) else tuple(items)  # type: ignore[attr-defined]
    if isinstance(sample, list):
        items = list(sample)
        for k, v in new.items():
            items[k] = v
        return items
    out = sample.copy() if isinstance(sample, dict) else dict(sample)
    out.update(new)
    return out


def rebuild(like: Any, values: Iterable[Any] | Mapping[Any, Any]) -> Any:
    """Build a container with the structure of the sample ``like`` from its field values.

    Used to give a collated batch the structure of its samples: a dict sample gives a dict
    (``values`` a mapping, its order kept), a list gives a list, a namedtuple the same
    namedtuple when the number of values matches its fields, any other tuple a tuple.

    Args:
        like: a sample of the batch (usually the first).
        values: the values in field order (for tuples/lists) or a mapping key -> value
            (for dicts; for tuples/lists its values are taken in order).

    Returns:
        The new container.

    Example:
        >>> from collections import namedtuple
        >>> P = namedtuple("P", "x y")
        >>> rebuild(P(0, 0), [1, 2]), rebuild([0, 0], (1, 2)), rebuild((0, 0), [1, 2, 3])
        (P(x=1, y=2), [1, 2], (1, 2, 3))
    """
    if isinstance(like, Mapping):
        return dict(values) if isinstance(values, Mapping) else dict(zip(like.keys(), values, strict=True))
    vals = list(values.values()) if isinstance(values, Mapping) else list(values)
    if isinstance(like, list):
        return vals
    if is_namedtuple(like) and len(vals) == len(like):
        return type(like)(*vals)
    return tuple(vals)

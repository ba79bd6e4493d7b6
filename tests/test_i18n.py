import pytest
import yaml

from implementere_kit import UnknownNameError
from implementere_kit._data import package_file
from implementere_kit.i18n import LANGS, labels, t


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys (safe_load keeps the last silently)."""


def _no_duplicates(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate keys {sorted(dup)}")
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def test_every_language_has_the_same_keys_and_no_duplicates():
    keys = {}
    for lang in LANGS:
        with open(package_file("locales", f"{lang}.yaml"), encoding="utf-8") as fh:
            keys[lang] = set(yaml.load(fh, Loader=_StrictLoader))
    assert keys["nb"] == keys["da"] == keys["en"]


def test_translation_and_fallback():
    assert t("overdue", "nb") == "Forsinket"
    assert t("viderefore", "en") == "Sustain"
    assert t("no_such_key", "da") == "no_such_key"
    assert t("phase", "da") != t("phase", "en")
    with pytest.raises(UnknownNameError, match="nb"):
        labels("sv")

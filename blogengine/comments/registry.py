"""Finding comment backends and choosing them by name.

Three sources share one name space per slot:

1. built-ins (``blogengine.comments.builtin``), name -> "module:Class";
2. installed distributions' entry points, groups ``blogengine.captcha``,
   ``blogengine.spam_filters`` and ``blogengine.comment_stores`` (loaded only when chosen);
3. ``*.py`` files in the plugins folder, each with ``register(registry)``.

One Registry lives in ``app.extensions["blogengine.registry"]``; nothing here is global.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .contracts import CaptchaBackend, CommentStore, SpamFilter

CAPTCHA = "captcha"
SPAM_FILTERS = "spam_filters"
COMMENT_STORES = "comment_stores"
SLOTS: dict[str, type] = {
    CAPTCHA: CaptchaBackend,
    SPAM_FILTERS: SpamFilter,
    COMMENT_STORES: CommentStore,
}
ENTRY_POINT_GROUPS = {slot: f"blogengine.{slot}" for slot in SLOTS}

BUILTINS: dict[str, dict[str, str]] = {
    CAPTCHA: {
        "none": "blogengine.comments.builtin.captcha_none:NoCaptcha",
        "math": "blogengine.comments.builtin.captcha_math:MathCaptcha",
        "fixed": "blogengine.comments.builtin.captcha_fixed:FixedAnswerCaptcha",
        "altcha": "blogengine.comments.builtin.captcha_altcha:AltchaCaptcha",
        "turnstile": "blogengine.comments.builtin.captcha_siteverify:TurnstileCaptcha",
        "hcaptcha": "blogengine.comments.builtin.captcha_siteverify:HCaptchaCaptcha",
        "recaptcha": "blogengine.comments.builtin.captcha_siteverify:RecaptchaCaptcha",
    },
    SPAM_FILTERS: {
        "honeypot": "blogengine.comments.builtin.filter_honeypot:HoneypotFilter",
        "links": "blogengine.comments.builtin.filter_links:LinksFilter",
        "blocklist": "blogengine.comments.builtin.filter_blocklist:BlocklistFilter",
        "duplicate": "blogengine.comments.builtin.filter_duplicate:DuplicateFilter",
        "akismet": "blogengine.comments.builtin.filter_akismet:AkismetFilter",
        "learning": "blogengine.comments.builtin.filter_learning:LearningFilter",
        "impersonation": "blogengine.comments.builtin.filter_impersonation:ImpersonationFilter",
    },
    COMMENT_STORES: {
        "sql": "blogengine.comments.builtin.store_sql:SqlCommentStore",
    },
}


class RegistryError(Exception):
    """A backend cannot be found, is named twice, or does not keep the contract."""


class UnknownBackend(RegistryError):
    def __init__(self, slot: str, name: str, available: Iterable[str]) -> None:
        self.slot, self.name, self.available = slot, name, sorted(available)
        listed = ", ".join(self.available) or "none"
        super().__init__(
            f"unknown {slot} backend {name!r}; available: {listed} "
            f"(`blogengine plugins` shows where each comes from)"
        )


@dataclass
class Entry:
    """One backend the registry knows: its name, where it came from and how to get it."""

    slot: str
    name: str
    origin: str
    load: Callable[[], type] = field(repr=False)

    @property
    def kind(self) -> str:
        """Where it came from, in a word or two: built-in, plugin file, installed package."""
        if self.origin == "built-in":
            return "built-in"
        if self.origin.startswith("plugin file "):
            return "plugin file"
        if self.origin.startswith("entry point "):
            return "installed package"
        return "registered in code"


#: Option names holding any of these words are shown masked (API keys, passwords...).
SECRET_WORDS = ("secret", "key", "token", "password")
MASK = "••••••••"


@dataclass(frozen=True)
class BackendFacts:
    """One backend as the owner is shown it (`blogengine plugins`, the desk's settings)."""

    slot: str
    name: str
    origin: str
    kind: str
    active: bool
    #: Its place in the spam-filter chain, from 1 (None: not in the chain, or another slot).
    position: int | None
    #: The options it was built with, secrets masked (empty when not active).
    options: dict[str, Any]


def describe(
    registry: Registry,
    *,
    captcha: str,
    chain: Sequence[str],
    store: str,
    options: Mapping[str, Mapping[str, Any]],
) -> list[BackendFacts]:
    """Every backend, whether and where it is used, and its options with secrets masked.

    ``options`` maps a slot to its ``COMMENTS_<SLOT>_OPTIONS`` dict (backend name -> options).
    """
    active = {CAPTCHA: [captcha], SPAM_FILTERS: list(chain), COMMENT_STORES: [store]}
    facts = []
    for slot in SLOTS:
        for entry in registry.entries(slot):
            used = entry.name in active[slot]
            facts.append(
                BackendFacts(
                    slot=slot,
                    name=entry.name,
                    origin=entry.origin,
                    kind=entry.kind,
                    active=used,
                    position=chain.index(entry.name) + 1 if slot == SPAM_FILTERS and used else None,
                    options=masked(options.get(slot, {}).get(entry.name) or {}) if used else {},
                )
            )
    return facts


def masked(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with secrets masked: values of keys that name one, passwords in URLs."""
    shown: dict[str, Any] = {}
    for key, value in options.items():
        if any(word in str(key).lower() for word in SECRET_WORDS) and value not in (None, ""):
            shown[key] = MASK
        elif isinstance(value, Mapping):
            shown[key] = masked(value)
        elif isinstance(value, str):
            shown[key] = _url_without_password(value)
        else:
            shown[key] = value
    return shown


def _url_without_password(value: str) -> str:
    """``postgresql://me:pw@host/db`` -> ``postgresql://me:••••••••@host/db``; else as is."""
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return value
    if not password:
        return value
    netloc = parts.netloc.replace(f":{password}@", f":{MASK}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class Registry:
    """Every backend found, per slot, and the means to build the chosen ones."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Entry]] = {slot: {} for slot in SLOTS}

    # -- registering -----------------------------------------------------------------
    def add(self, slot: str, name: str, target: type | str, origin: str) -> None:
        """Register ``target`` (a class, or "module:Class" to import when chosen)."""
        if slot not in SLOTS:
            raise RegistryError(f"unknown slot {slot!r}; slots are {', '.join(SLOTS)}")
        existing = self._entries[slot].get(name)
        if existing is not None:
            raise RegistryError(
                f"{slot} backend {name!r} is defined twice: by {existing.origin} and by {origin}"
            )
        load = (lambda: _import_target(target)) if isinstance(target, str) else (lambda: target)
        self._entries[slot][name] = Entry(slot, name, origin, load)

    def register_captcha(self, name: str, cls: type, origin: str | None = None) -> None:
        self.add(CAPTCHA, name, cls, origin or _origin_of(cls))

    def register_spam_filter(self, name: str, cls: type, origin: str | None = None) -> None:
        self.add(SPAM_FILTERS, name, cls, origin or _origin_of(cls))

    def register_store(self, name: str, cls: type, origin: str | None = None) -> None:
        self.add(COMMENT_STORES, name, cls, origin or _origin_of(cls))

    # -- discovering -----------------------------------------------------------------
    def discover(self, plugins_folder: str | Path | None) -> None:
        """Fill the registry from all three sources."""
        for slot, names in BUILTINS.items():
            for name, target in names.items():
                self.add(slot, name, target, "built-in")
        for slot, group in ENTRY_POINT_GROUPS.items():
            for ep in entry_points(group=group):
                dist = ep.dist.name if ep.dist is not None else "unknown distribution"
                self.add(slot, ep.name, ep.value, f"entry point {ep.value} ({dist})")
        if plugins_folder is not None:
            self.load_plugin_folder(Path(plugins_folder))

    def load_plugin_folder(self, folder: Path) -> None:
        """Import each ``*.py`` in ``folder`` (sorted) and call its ``register(registry)``."""
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = _import_file(path)
            register = getattr(module, "register", None)
            if not callable(register):
                raise RegistryError(f"plugin file {path} has no register(registry) function")
            register(_FileRegistrar(self, path))

    # -- reading -----------------------------------------------------------------------
    def entries(self, slot: str) -> list[Entry]:
        return sorted(self._entries[slot].values(), key=lambda e: e.name)

    def names(self, slot: str) -> list[str]:
        return sorted(self._entries[slot])

    def backend_class(self, slot: str, name: str) -> type:
        entry = self._entries[slot].get(name)
        if entry is None:
            raise UnknownBackend(slot, name, self._entries[slot])
        try:
            return entry.load()
        except Exception as exc:
            raise RegistryError(
                f"{slot} backend {name!r} ({entry.origin}) failed to load: {exc}"
            ) from exc

    def create(
        self,
        slot: str,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        host: Mapping[str, Any] | None = None,
    ) -> Any:
        """Build backend ``name`` with its keyword options and check it keeps the contract.

        ``host`` holds what the host offers every backend (``instance_path``); each is
        passed only to a backend whose constructor declares it, and the owner's options win.
        """
        cls = self.backend_class(slot, name)
        accepted = _keywords(cls)
        offered = {k: v for k, v in (host or {}).items() if k in accepted}
        try:
            backend = cls(**{**offered, **dict(options or {})})
        except TypeError as exc:
            raise RegistryError(f"{slot} backend {name!r}: bad options: {exc}") from exc
        except (ValueError, OSError) as exc:
            raise RegistryError(f"{slot} backend {name!r} cannot start: {exc}") from exc
        protocol = SLOTS[slot]
        if not isinstance(backend, protocol):
            raise RegistryError(f"{slot} backend {name!r} does not implement {protocol.__name__}")
        return backend


def _keywords(cls: type) -> set[str]:
    """The keyword parameters ``cls(...)`` declares (none if it cannot be inspected)."""
    try:
        return set(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return set()


class _FileRegistrar:
    """What a plugin file's register() receives: the registry, naming the file as origin."""

    def __init__(self, registry: Registry, path: Path) -> None:
        self._registry, self._origin = registry, f"plugin file {path}"

    def register_captcha(self, name: str, cls: type) -> None:
        self._registry.register_captcha(name, cls, self._origin)

    def register_spam_filter(self, name: str, cls: type) -> None:
        self._registry.register_spam_filter(name, cls, self._origin)

    def register_store(self, name: str, cls: type) -> None:
        self._registry.register_store(name, cls, self._origin)


def _import_target(target: str) -> type:
    module_name, _, attr = target.partition(":")
    target_class: type = getattr(importlib.import_module(module_name), attr)
    return target_class


def _import_file(path: Path) -> Any:
    module_name = f"blogengine_plugins.{path.stem}"
    if module_name in sys.modules and getattr(sys.modules[module_name], "__file__", None) == str(
        path
    ):
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise RegistryError(f"cannot import plugin file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise RegistryError(f"plugin file {path} failed to import: {exc}") from exc
    return module


def _origin_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"

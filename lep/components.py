"""NHS.UK frontend components, rendered once for each distinct set of parameters.

The NHS.UK frontend's Jinja components are pure functions of their `params`: each macro includes
its template, which reads `params` (and `caller`, for call blocks) and nothing else. They are also
slow: a group of four checkboxes takes about 5 ms, because every macro call includes templates
that call further macros (label, hint, fieldset, attributes) through the same machinery. The
header, footer, skip link, buttons and filter forms are rendered with the same parameters on
request after request.

So `ComponentLoader` serves every `nhsuk/components/<name>/macro.jinja` as a wrapper whose macro
(same name, same signature) hands `params` to `ComponentCache.render`, which renders the
component's own template as the original macro would and keeps the result in a bounded LRU keyed
by the exact parameters (values, their types and their order). Templates import the components
as before. Call blocks (`{% call %}`) are never cached; parameters of types the key does not know
are rendered without the cache. `COMPONENT_CACHE_SIZE` bounds the entries per process (0 turns
caching off); results larger than `MAX_BYTES` are not kept.

What varies with every request must not be in the parameters, or every call misses: the layout
puts a placeholder in the header's sign-out form and fills in the CSRF token afterwards.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from jinja2 import BaseLoader, Environment, TemplateNotFound, Undefined
from markupsafe import Markup

MAX_BYTES = 64 * 1024

_WRAPPED = re.compile(r"^nhsuk/components/[a-z-]+/macro\.jinja$")
_MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")
_INCLUDE = re.compile(r'include\s+"(nhsuk/components/[a-z-]+/template\.jinja)"')


class ComponentLoader(BaseLoader):
    """Serves each NHS.UK component's macro.jinja as a wrapper around the cache."""

    def __init__(self, original: BaseLoader) -> None:
        self.original = original

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if not _WRAPPED.match(template):
            raise TemplateNotFound(template)
        source, filename, uptodate = self.original.get_source(environment, template)
        macro, include = _MACRO.search(source), _INCLUDE.search(source)
        if macro is None or include is None:  # a component of another shape: leave it alone
            raise TemplateNotFound(template)
        wrapper = (
            f"{{% macro {macro.group(1)}(params = {{}}) %}}"
            f'{{{{ nhsuk_component("{include.group(1)}", params, caller) }}}}'
            "{% endmacro %}"
        )
        return wrapper, filename, uptodate


class _Uncacheable(Exception):
    pass


def _key(value: Any) -> Any:
    """A hashable key that is equal only for parameters the templates cannot tell apart."""
    kind = type(value)
    if kind is str:
        return value
    if kind is dict:
        return ("d", tuple((k, _key(v)) for k, v in value.items()))
    if kind is list:
        return ("l", tuple(_key(v) for v in value))
    if kind is Markup:
        return ("m", str(value))
    if kind is bool or kind is int or kind is float:
        return (kind.__name__, value)
    if value is None:
        return ("n",)
    if isinstance(value, Undefined):
        return ("u",)
    if kind is tuple:
        return ("t", tuple(_key(v) for v in value))
    raise _Uncacheable(kind.__name__)


class ComponentCache:
    def __init__(self, environment: Environment, size: int) -> None:
        self.environment = environment
        self.size = size
        self.entries: OrderedDict[Any, Markup] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _render(self, template: str, params: Any, caller: Any) -> Markup:
        # As the original macro's include: the template sees `params` and `caller`.
        # The output of an autoescaping template: already escaped, as the macro's would be.
        source = self.environment.get_template(template)
        if caller is None:
            return Markup(source.render(params=params))  # noqa: S704
        return Markup(source.render(params=params, caller=caller))  # noqa: S704

    def render(self, template: str, params: Any, caller: Any = None) -> Markup:
        has_caller = caller is not None and not isinstance(caller, Undefined)
        if has_caller:
            return self._render(template, params, caller)
        if self.size <= 0:
            return self._render(template, params, None)
        try:
            key = (template, _key(params))
        except _Uncacheable:
            return self._render(template, params, None)
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                self.hits += 1
                return found
        result = self._render(template, params, None)
        if len(result) <= MAX_BYTES:
            with self.lock:
                self.misses += 1
                self.entries[key] = result
                while len(self.entries) > self.size:
                    self.entries.popitem(last=False)
        return result

import jinja2
import pytest

from sots.site import sphinx_templates

pytestmark = pytest.mark.unit


class Counting(jinja2.Environment):
    """An environment that counts what it compiles."""

    compiled = 0

    def compile(self, *args, **kwargs):
        Counting.compiled += 1
        return super().compile(*args, **kwargs)


def environment(sources: dict[str, str], cache) -> jinja2.Environment:
    return Counting(loader=jinja2.DictLoader(sources), bytecode_cache=cache, autoescape=True)


def test_a_template_is_compiled_once_for_every_environment_and_again_when_its_source_changes():
    cache = sphinx_templates.ProcessBytecodeCache()
    Counting.compiled = 0
    page = {"page.html": "<p>{{ title }}</p>"}
    # A new environment a book, as each book's Sphinx application makes: the first compiles, the next reuse the code.
    made = [environment(page, cache).get_template("page.html").render(title="<b>") for _ in range(3)]
    assert made == ["<p>&lt;b&gt;</p>"] * 3 and Counting.compiled == 1
    changed = environment({"page.html": "<h1>{{ title }}</h1>"}, cache).get_template("page.html").render(title="T")
    assert changed == "<h1>T</h1>" and Counting.compiled == 2


def test_the_extension_gives_a_builders_environment_the_cache_and_leaves_a_builder_without_templates():
    class Builder:
        pass

    class App:
        builder = Builder()

    App.builder.templates = type("Templates", (), {"environment": jinja2.Environment()})()
    sphinx_templates.use_cache(App)
    assert App.builder.templates.environment.bytecode_cache is sphinx_templates.CACHE
    App.builder = Builder()
    sphinx_templates.use_cache(App)  # no templates: nothing to do, no error

"""Templates render in a bounded sandbox: what would build a huge value or run long is refused."""

from __future__ import annotations

import resource
import time

import pytest

from tutorloop.grade.graders import TemplateProblem, TemplateRenderer

ITEM = {"n": 1_700_000_000_000, "text": "hello", "list": [1, 2]}
SAMPLE = {"output_text": "answer"}


def test_ordinary_templates_render() -> None:
    renderer = TemplateRenderer()
    text = "{{ item.text }} {{ item.n }} {{ '{}'.format(item.n) }} {{ item.list|join(',') }}"
    assert renderer.render(text, ITEM, SAMPLE) == "hello 1700000000000 1700000000000 1,2"
    assert renderer.render("{{ sample.output_text|upper }}", ITEM, SAMPLE) == "ANSWER"
    assert renderer.render("{{ 'ab' * 3 }}{{ 2 ** 10 }}", ITEM, SAMPLE) == "ababab1024"


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'x' * 10**9 }}",
        "{{ [1] * 10**9 }}",
        "{{ 7 ** (10**8) }}",
        "{{ 'x'.ljust(10**9) }}",
        "{{ 'x'|center(10**9) }}",
        "{{ '%1000000000s'|format('x') }}",
        "{{ '{:>1000000000}'.format('x') }}",
        "{{ ('x' * 1000000)|replace('x', 'xxxxxxxxxx') }}",
        "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}",
        "{% for a in range(100000) %}{{ 'abcdefghij' * 1000 }}{% endfor %}",
        "{% set l = [] %}{% for i in range(10) %}{{ l.append(l) }}{% endfor %}",
        "{{ lipsum(10**8) }}",
    ],
)
def test_values_too_large_are_refused_before_they_are_built(template: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(TemplateProblem):
        TemplateRenderer().render(template, ITEM, SAMPLE)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 200 * 1024  # far from the gigabytes the template asks for


def test_a_render_past_its_time_limit_is_stopped() -> None:
    nested = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match="simplify its loops"):
        TemplateRenderer(time_limit_s=0.2).render(nested, ITEM, SAMPLE)
    assert time.monotonic() - started < 30  # a bounded wait, not the 10**10 iterations

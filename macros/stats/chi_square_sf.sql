{#- The chi-square survival function P(X >= statistic) for X ~ chi-square(degrees_of_freedom): the p-value of a
    chi-square test. SQL engines have no chi-square distribution, so the default is a closed form that needs only
    exp, sqrt and arithmetic (portable to DuckDB, Postgres, Spark, ...):
      even df = 2m:   Q = exp(-x/2) * sum_{i=0}^{m-1} (x/2)^i / i!
      odd df = 2m+1:  Q = erfc(sqrt(x/2)) + sqrt(2/pi) * exp(-x/2) * sum_{r=1}^{m} x^(r-1/2) / (2r-1)!!
    Both sums are written in Horner form with a per-term switch on the degrees of freedom (no power(): no overflow
    or underflow, which Postgres raises as errors). erfc is flowmetrics.erfc (relative error < 1.2e-7), so the
    p-value has a relative error below 2e-7 (measured against scipy.stats.chi2.sf in tests/python).
    Degrees of freedom outside 1..max_degrees_of_freedom give null. -#}
{% macro chi_square_sf(statistic, degrees_of_freedom, max_degrees_of_freedom=40) -%}
    {{ return(adapter.dispatch('chi_square_sf', 'flowmetrics')(statistic, degrees_of_freedom, max_degrees_of_freedom)) }}
{%- endmacro %}

{% macro default__chi_square_sf(statistic, degrees_of_freedom, max_degrees_of_freedom=40) -%}
    {%- set x = '(' ~ statistic ~ ')' -%}
    {%- set k = '(' ~ degrees_of_freedom ~ ')' -%}
    {%- set max_even_terms = (max_degrees_of_freedom // 2) - 1 -%}
    {%- set max_odd_terms = (max_degrees_of_freedom - 1) // 2 -%}
    {#- even: 1 + (x/2)/1 * (1 + (x/2)/2 * (1 + ...)), term i present when df >= 2(i+1) -#}
    {%- set even = namespace(sum='1') -%}
    {%- for i in range(max_even_terms, 0, -1) -%}
        {%- set even.sum = '1 + case when ' ~ k ~ ' >= ' ~ (2 * (i + 1)) ~ ' then ' ~ x ~ ' / ' ~ (2 * i) ~ '.0 else 0 end * (' ~ even.sum ~ ')' -%}
    {%- endfor -%}
    {#- odd: sqrt(x) * (1 + x/3 * (1 + x/5 * (...))), term r present when df >= 2r+1 -#}
    {%- set odd = namespace(sum='1') -%}
    {%- for r in range(max_odd_terms, 1, -1) -%}
        {%- set odd.sum = '1 + case when ' ~ k ~ ' >= ' ~ (2 * r + 1) ~ ' then ' ~ x ~ ' / ' ~ (2 * r - 1) ~ '.0 else 0 end * (' ~ odd.sum ~ ')' -%}
    {%- endfor -%}
    case
        when {{ x }} is null or {{ k }} is null or {{ k }} < 1 or {{ k }} > {{ max_degrees_of_freedom }} then null
        when {{ x }} <= 1e-300 then 1.0
        when {{ x }} > 1400 then 0.0
        when {{ k }} - 2 * floor({{ k }} / 2.0) = 0
            then exp(-{{ x }} / 2.0) * ({{ even.sum }})
        else
            {{ flowmetrics.erfc('sqrt(' ~ x ~ ' / 2.0)') }}
            + case
                when {{ k }} >= 3
                    then 0.79788456080286535588 * exp(-{{ x }} / 2.0) * sqrt({{ x }}) * ({{ odd.sum }})
                else 0
            end
    end
{%- endmacro %}

{#- The complementary error function erfc(z) for z >= 0, from exp and arithmetic only: the Chebyshev fit of
    Numerical Recipes (erfcc), fractional error below 1.2e-7 for every z >= 0, so tiny tails stay accurate. -#}
{% macro erfc(z) -%}
    {{ return(adapter.dispatch('erfc', 'flowmetrics')(z)) }}
{%- endmacro %}

{% macro default__erfc(z) -%}
    {%- set t = '(1.0 / (1.0 + 0.5 * (' ~ z ~ ')))' -%}
    ({{ t }} * exp(
        -({{ z }}) * ({{ z }}) - 1.26551223 + {{ t }} * (1.00002368 + {{ t }} * (0.37409196 + {{ t }} * (0.09678418
        + {{ t }} * (-0.18628806 + {{ t }} * (0.27886807 + {{ t }} * (-1.13520398 + {{ t }} * (1.48851587
        + {{ t }} * (-0.82215223 + {{ t }} * 0.17087277))))))))
    ))
{%- endmacro %}

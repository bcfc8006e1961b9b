from linkage.standardise.search import NameTokens


def test_typed_names_become_the_tokens_the_graph_indexes() -> None:
    tokens = NameTokens()
    assert tokens("moch rizki") == ["MUHAMMAD", "RIZKI"]
    assert tokens("Hj. Siti Nurhalimah, S.Pd.") == ["SITI", "NURHALIMAH"]
    assert tokens("Soepriatna bin Djadjang") == ["SUPRIATNA"]
    assert tokens("M. Jusuf") == ["MUHAMMAD", "YUSUF"]


def test_empty_or_punctuation_only_gives_no_tokens() -> None:
    tokens = NameTokens()
    assert tokens("") == []
    assert tokens(" .,- ") == []


def test_repeats_are_answered_from_the_cache() -> None:
    tokens = NameTokens()
    tokens("Asep Saepudin")
    tokens("Asep Saepudin")
    assert tokens.tokens.cache_info().hits == 1

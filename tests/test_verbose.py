"""verbose: a line per step of fit, prefixed with the distiller's name; silent by default."""

import re

import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistilledClassifier, DistilledRegressor


def test_classifier_says_each_step(capsys):
    X, y = load_iris(return_X_y=True)
    distiller = DistilledClassifier(
        LogisticRegression(max_iter=1000),
        DecisionTreeClassifier(max_depth=3, random_state=0),
        transfer="mixup",
        n_transfer=300,
        teacher_batch_size=100,
        memory=False,
        random_state=0,
        verbose=1,
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines, "verbose=1 printed nothing"
    assert all(
        re.match(r"\[DistilledClassifier\] .* \(\d+\.\ds elapsed\)$", line) for line in lines
    )
    text = "\n".join(lines)
    assert "fitting the teacher LogisticRegression on 150 rows" in text
    assert "drawing 300 transfer rows with Mixup" in text
    # X (150 rows) takes 2 batches of 100, the transfer set 3
    assert text.count("labelled batch") == 5
    assert "labelled batch 3 of 3 (100 rows) with decision_function" in text
    assert "fitting the student DecisionTreeClassifier on 450 rows" in text
    assert lines[-1].startswith("[DistilledClassifier] fit done")
    assert distiller.n_transfer_ == 300


def test_silent_by_default_and_inside_a_verbose_fit(capsys):
    X, y = load_iris(return_X_y=True)
    student = DecisionTreeClassifier(max_depth=2, random_state=0)
    DistilledClassifier(LogisticRegression(max_iter=1000), student).fit(X, y)
    assert capsys.readouterr().out == ""
    # a quiet distiller as the teacher of a verbose one stays quiet
    inner = DistilledClassifier(LogisticRegression(max_iter=1000), student)
    DistilledClassifier(inner, student, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "[DistilledClassifier] fitting the teacher DistilledClassifier" in out
    assert "fitting the teacher LogisticRegression" not in out


def test_regressor_says_each_step(capsys):
    X, y = load_diabetes(return_X_y=True)
    DistilledRegressor(
        Ridge(), DecisionTreeRegressor(max_depth=3), transfer="noise", n_transfer=0.5, verbose=2
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "[DistilledRegressor] fitting the teacher Ridge on 442 rows" in out
    assert "drawing 221 transfer rows with GaussianNoise" in out
    assert f"fitting the student DecisionTreeRegressor on {442 + 221} rows" in out


def test_verbose_is_validated():
    X, y = load_iris(return_X_y=True)
    distiller = DistilledClassifier(LogisticRegression(), DecisionTreeClassifier(), verbose="yes")
    with pytest.raises(ValueError, match="verbose"):
        distiller.fit(X, y)

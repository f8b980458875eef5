from market.database import on_commit
from market.extensions import db


def test_on_commit_runs_after_commit_only(app, make_commune):
    ran = []
    make_commune()
    on_commit(lambda: ran.append("rolled back"))
    db.session.rollback()
    make_commune()
    on_commit(lambda: ran.append("committed"))
    assert ran == []
    db.session.commit()
    assert ran == ["committed"]


def test_on_commit_inside_a_rolled_back_savepoint_is_dropped(app, make_commune):
    ran = []
    make_commune()
    on_commit(lambda: ran.append("outer"))
    try:
        with db.session.begin_nested():
            make_commune()
            on_commit(lambda: ran.append("inner"))
            raise ValueError
    except ValueError:
        pass
    db.session.commit()
    assert ran == ["outer"]


def test_on_commit_waits_for_the_outer_commit_when_a_savepoint_is_released(app, make_commune):
    """Releasing a savepoint fires SQLAlchemy's after_commit too; the callbacks must still wait."""
    ran = []
    with db.session.begin_nested():
        make_commune()
        on_commit(lambda: ran.append("inner"))
    assert ran == []
    with db.session.begin_nested():
        make_commune()
    assert ran == []
    db.session.rollback()
    db.session.commit()
    assert ran == []  # the outer transaction rolled back: the released savepoint's callback is dropped
    with db.session.begin_nested():
        make_commune()
        on_commit(lambda: ran.append("kept"))
    db.session.commit()
    assert ran == ["kept"]

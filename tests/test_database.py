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

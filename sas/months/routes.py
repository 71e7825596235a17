from flask import Blueprint

bp = Blueprint("months", __name__, url_prefix="/schools/<npsn>/months")

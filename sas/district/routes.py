from flask import Blueprint

bp = Blueprint("district", __name__)

"""Notes API: Flask with MySQL through PyMySQL."""
import os

import pymysql
from flask import Flask, jsonify, request

app = Flask(__name__)


def connect():
    return pymysql.connect(
        host=os.environ.get("DB_HOST", "localhost"),
        user=os.environ.get("DB_USER", "app"),
        password=os.environ.get("DB_PASSWORD", ""),
        database=os.environ.get("DB_NAME", "app"),
        cursorclass=pymysql.cursors.DictCursor,
    )


@app.get("/ping")
def ping():
    return jsonify(status="ok")


@app.post("/notes")
def add_note():
    text = (request.get_json(silent=True) or {}).get("text")
    if not isinstance(text, str):
        return jsonify(error="text (string) is required"), 400
    with connect() as db, db.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS notes (id INT AUTO_INCREMENT PRIMARY KEY, text TEXT)")
        cursor.execute("INSERT INTO notes (text) VALUES (%s)", (text,))
        db.commit()
        return jsonify(id=cursor.lastrowid), 201


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5050)))

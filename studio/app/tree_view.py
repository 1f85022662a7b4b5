"""The family tree: checkpoints as nodes, parent -> child edges labelled by method.

Layout is layered by generation (a node's layer is one more than its deepest
parent), left to right; within a layer, nodes are ordered by the mean position of
their parents (barycenter), which keeps most edges from crossing. Items cache
their painting, so panning and zooming stay smooth with hundreds of nodes.

Drag a node onto another node to breed them, or onto a slot of the breeding bay.
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QByteArray, QLineF, QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QDrag, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QMenu

from studio.app import figures
from studio.library import CheckpointRecord, Edge

MIME_CHECKPOINT = "application/x-darwascii-checkpoint"
NODE_W, NODE_H = 190, 62
LAYER_GAP, ROW_GAP = 90, 22

ROLE_COLORS = {
    "artist": "#4f9cf7",
    "ancestor": "#a78bfa",
    "bred": "#f59e0b",
    "ablation": "#ec4899",
    "sweep": "#14b8a6",
    "text": "#94a3b8",
    "missing": "#6b7280",
}


def checkpoint_mime(checkpoint_id: int) -> QMimeData:
    mime = QMimeData()
    mime.setData(MIME_CHECKPOINT, QByteArray(str(checkpoint_id).encode()))
    mime.setText(str(checkpoint_id))
    return mime


def checkpoint_from_mime(mime: QMimeData) -> int | None:
    if not mime.hasFormat(MIME_CHECKPOINT):
        return None
    try:
        return int(bytes(mime.data(MIME_CHECKPOINT)).decode())
    except ValueError:
        return None


def layered_layout(ids: list[int], edges: list[Edge]) -> dict[int, tuple[int, int]]:
    """(layer, row) per node: layer = 1 + deepest parent; rows ordered by barycenter."""
    parents = defaultdict(list)
    for edge in edges:
        if edge.parent_id in ids and edge.child_id in ids:
            parents[edge.child_id].append(edge.parent_id)
    layer: dict[int, int] = {}

    def depth(node: int, trail: frozenset = frozenset()) -> int:
        if node in layer:
            return layer[node]
        if node in trail:  # a cycle would be a data error; do not recurse forever
            return 0
        value = 1 + max((depth(p, trail | {node}) for p in parents[node]), default=-1)
        layer[node] = value
        return value

    for node in ids:
        depth(node)
    by_layer: dict[int, list[int]] = defaultdict(list)
    for node in ids:
        by_layer[layer[node]].append(node)
    row: dict[int, float] = {}
    for index in sorted(by_layer):
        nodes = by_layer[index]
        if index == 0:
            ordered = nodes
        else:
            def barycenter(n: int) -> float:
                ps = [row[p] for p in parents[n] if p in row]
                return sum(ps) / len(ps) if ps else 1e9
            ordered = sorted(nodes, key=lambda n: (barycenter(n), n))
        for position, node in enumerate(ordered):
            row[node] = position
    return {node: (layer[node], int(row[node])) for node in ids}


class NodeItem(QGraphicsItem):
    def __init__(self, record: CheckpointRecord, view: "FamilyTreeView"):
        super().__init__()
        self.record = record
        self.view = view
        self.made_by = ""  # how it was made, from its edges (their labels may not all fit)
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setAcceptDrops(True)
        self.setAcceptHoverEvents(True)
        # No pixmap cache: zoomed out, a node is one filled shape (see paint), and
        # zoomed in only a few nodes are visible. Caches made each zoom step rescale
        # or re-render all 500 nodes of a big family (~200 ms a frame).
        self.setToolTip(self._tooltip())
        self.dimmed = False
        self._hover = False
        self._drop_target = False
        self._press = None

    def _tooltip(self) -> str:
        r = self.record
        lines = [r.qualified_name, f"role: {r.role}", f"framing: {r.framing}", f"variant: {r.variant}"]
        if self.made_by:
            lines.append(f"made by: {self.made_by}")
        if r.path:
            lines.append(r.path + ("" if r.exists else "  (missing)"))
        if r.headline is not None:
            lines += ["", figures.describe(r.headline)]
        for key, value in r.metrics.items():
            if isinstance(value, float):
                lines.append(f"{key}: {value:.4f} (training)")
        vigor = r.metrics.get("vigor")
        if isinstance(vigor, dict) and "best_parent" in vigor:
            lines += ["", figures.vigor_badge(vigor)[0] + " bpc: " + figures.vigor_verdict(vigor)]
            short, name, entry = figures.strongest(vigor)
            if short != "vigor":
                lines.append(f"vs {name}: {entry['value']:+.3f} [{entry['low']:+.3f}, {entry['high']:+.3f}] bpc")
            lines.append("overall: " + figures.what_holds(vigor)[0])
        others = len(r.measurements) - 1
        if others > 0:
            lines.append(f"(+{others} measurement{'s' if others > 1 else ''} on other data: Evaluate… or the breeding bay)")
        return "\n".join(lines)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, NODE_W, NODE_H)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = self.record
        color = QColor(ROLE_COLORS.get(r.role, "#4f9cf7"))
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.45:
            # Too small to read: a block in the role's colour, outlined when selected.
            painter.setPen(QPen(QColor("#e6e9ef"), 0) if self.isSelected() else Qt.NoPen)
            painter.setBrush(color.darker(140) if not self.dimmed else QColor("#262c38"))
            painter.drawRect(self.boundingRect())
            return
        painter.setRenderHint(QPainter.Antialiasing)
        background = QColor("#1e2430") if not self._hover else QColor("#263042")
        if self.isSelected():
            background = QColor("#2b3a55")
        painter.setOpacity(0.35 if self.dimmed else 1.0)
        border = QPen(color if (self.isSelected() or self._drop_target) else QColor("#3a4356"), 2 if self.isSelected() or self._drop_target else 1)
        if r.role == "missing" or (r.path and not r.exists):
            border.setStyle(Qt.DashLine)
        painter.setPen(border)
        painter.setBrush(background)
        painter.drawRoundedRect(self.boundingRect().adjusted(1, 1, -1, -1), 8, 8)
        painter.fillRect(QRectF(1, 8, 4, NODE_H - 16), color)
        painter.setPen(QColor("#e6e9ef"))
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(9.5)
        painter.setFont(font)
        # The qualified name tells apehex/styleA from uncond/styleA; elide in the middle
        # so both the folder's start and the model's own name's end show.
        painter.drawText(QRectF(12, 6, NODE_W - 20, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         painter.fontMetrics().elidedText(r.qualified_name, Qt.ElideMiddle, NODE_W - 20))
        font.setBold(False)
        font.setPointSizeF(8)
        painter.setFont(font)
        badge = r.role if r.exists or r.role == "missing" else "missing file"
        badge_rect = QRectF(12, 27, painter.fontMetrics().horizontalAdvance(badge) + 10, 15)
        painter.setPen(Qt.NoPen)
        painter.setBrush(color.darker(170))
        painter.drawRoundedRect(badge_rect, 4, 4)
        painter.setPen(color.lighter(130))
        painter.drawText(badge_rect, Qt.AlignCenter, badge)
        painter.setPen(QColor("#9aa4b6"))
        framing = {"conditional": "cond", "unconditional": "uncond", "text": "text"}.get(r.framing, r.framing)
        painter.drawText(QRectF(badge_rect.right() + 6, 27, 60, 15), Qt.AlignLeft | Qt.AlignVCenter, framing)
        metric = r.key_metric
        if metric is not None:
            name, value = metric
            label = "bpc" if "bpc" in name else "loss"
            painter.setPen(QColor("#e6e9ef"))
            text = f"{label} {value:.3f}"
            if r.headline is not None:  # what it was measured on, in short: the split
                text += f" · {r.headline.get('data', {}).get('split') or 'text'}"
            painter.drawText(QRectF(12, 43, NODE_W - 20, 15), Qt.AlignLeft | Qt.AlignVCenter, text)
            vigor = r.metrics.get("vigor")
            if isinstance(vigor, dict) and "best_parent" in vigor:
                text, colour = figures.tree_badge(vigor)  # the comparison it does worst in
                painter.setPen(QColor(colour))
                painter.drawText(QRectF(12, 43, NODE_W - 20, 15), Qt.AlignRight | Qt.AlignVCenter, text)
        painter.setOpacity(1.0)

    # -- interaction ------------------------------------------------------------------

    def hoverEnterEvent(self, event):
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event):
        self._hover = False
        self.update()

    def mousePressEvent(self, event):
        self._press = event.screenPos()
        super().mousePressEvent(event)
        self.view.checkpointSelected.emit(self.record.id)

    def mouseMoveEvent(self, event):
        if self._press is not None and (event.screenPos() - self._press).manhattanLength() > 12:
            self._press = None
            drag = QDrag(self.view)
            drag.setMimeData(checkpoint_mime(self.record.id))
            drag.exec(Qt.CopyAction)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        self._press = None
        super().mouseReleaseEvent(event)

    def dragEnterEvent(self, event):
        other = checkpoint_from_mime(event.mimeData())
        accept = other is not None and other != self.record.id
        event.setAccepted(accept)
        self._drop_target = accept
        self.update()

    def dragLeaveEvent(self, event):
        self._drop_target = False
        self.update()

    def dropEvent(self, event):
        self._drop_target = False
        self.update()
        other = checkpoint_from_mime(event.mimeData())
        if other is not None and other != self.record.id:
            self.view.breedRequested.emit(other, self.record.id)
            event.acceptProposedAction()


class EdgeLayer(QGraphicsItem):
    """Every parent -> child edge in one item: one path to stroke, labels drawn only when legible.

    Hundreds of separate path and text items made each repaint cost ~250 ms at 500
    nodes; one combined path and level-of-detail labels keep zoom and pan smooth.
    """

    LABEL_MIN_ZOOM = 0.45  # the same threshold below which nodes drop their text

    LABEL_FONT_PT = 7.5

    def __init__(self, links: list[tuple[QPointF, QPointF, str]], obstacles: list[QRectF] = ()):
        super().__init__()
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption)
        self.curves: list[QPainterPath] = []
        self.lines: list[QLineF] = []
        self.labels: list[tuple[QPointF, str]] = []
        self.methods: list[str] = []
        bounds = QRectF()
        font = QFont()
        font.setPointSizeF(self.LABEL_FONT_PT)
        metrics = QFontMetricsF(font)
        taken = list(obstacles)  # nodes, then each label as it is placed
        for p0, p1, method in links:
            curve = QPainterPath(p0)
            dx = (p1.x() - p0.x()) / 2
            curve.cubicTo(p0 + QPointF(dx, 0), p1 - QPointF(dx, 0), p1)
            self.curves.append(curve)
            self.lines.append(QLineF(p0, p1))
            self.methods.append(method)
            # Labels never collide: the first spot along the curve clear of the nodes and
            # of the labels placed so far; an edge with no clear spot shows none (the
            # child's tooltip names how it was made).
            width, height = metrics.horizontalAdvance(method) + 6, metrics.height()
            for percent in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
                point = curve.pointAtPercent(percent)
                rect = QRectF(point.x() - width / 2, point.y() - height - 2, width, height)
                if not any(rect.intersects(other) for other in taken):
                    taken.append(rect)
                    self.labels.append((rect, method))
                    break
            bounds = bounds.united(curve.boundingRect())
        self._bounds = bounds.adjusted(-60, -20, 60, 20)

    @property
    def count(self) -> int:
        return len(self.curves)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        zoom = option.levelOfDetailFromTransform(painter.worldTransform())
        # Antialiasing only when zoomed in far enough to see it; a cosmetic pen keeps
        # edges one pixel wide at any zoom without scaling work.
        painter.setRenderHint(QPainter.Antialiasing, zoom >= self.LABEL_MIN_ZOOM)
        pen = QPen(QColor("#4b5568"), 1.4 if zoom >= self.LABEL_MIN_ZOOM else 1.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        if zoom < self.LABEL_MIN_ZOOM:
            # Zoomed out, straight lines read the same and draw far faster than curves.
            painter.drawLines(self.lines)
            return
        visible = option.exposedRect
        for curve in self.curves:
            if visible.intersects(curve.boundingRect()):
                painter.drawPath(curve)
        if zoom < self.LABEL_MIN_ZOOM:
            return
        font = QFont(painter.font())
        font.setPointSizeF(self.LABEL_FONT_PT)
        painter.setFont(font)
        painter.setPen(QColor("#8b95a8"))
        for rect, text in self.labels:
            if visible.intersects(rect):
                painter.drawText(rect, Qt.AlignCenter, text)


class FamilyTreeView(QGraphicsView):
    checkpointSelected = Signal(int)
    breedRequested = Signal(int, int)  # a, b
    actionRequested = Signal(str, int)  # action name, checkpoint id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setBackgroundBrush(QColor("#151922"))
        self.setAcceptDrops(True)
        self.nodes: dict[int, NodeItem] = {}
        self.edge_layer: EdgeLayer | None = None
        self._filter = ""

    # -- content ------------------------------------------------------------------------

    def set_family(self, records: list[CheckpointRecord], edges: list[Edge]) -> None:
        """Lay the family out again: known nodes move (and take their new record), new
        ones are added, gone ones removed; the scene itself is never cleared."""
        scene = self.scene()
        wanted = {r.id for r in records}
        for gone in [i for i in self.nodes if i not in wanted]:
            scene.removeItem(self.nodes.pop(gone))
        positions = layered_layout([r.id for r in records], edges)
        for record in records:
            item = self.nodes.get(record.id)
            if item is None:
                item = NodeItem(record, self)
                scene.addItem(item)
                self.nodes[record.id] = item
            else:
                self.update_node(record)
            layer, row = positions[record.id]
            item.setPos(layer * (NODE_W + LAYER_GAP), row * (NODE_H + ROW_GAP))
        links = []
        for edge in edges:
            if edge.parent_id not in self.nodes or edge.child_id not in self.nodes:
                continue
            start = self.nodes[edge.parent_id].sceneBoundingRect()
            end = self.nodes[edge.child_id].sceneBoundingRect()
            links.append((QPointF(start.right(), start.center().y()), QPointF(end.left(), end.center().y()), edge.method))
        made_by = defaultdict(set)
        for edge in edges:
            made_by[edge.child_id].add(edge.method)
        for node_id, item in self.nodes.items():
            if item.made_by != ", ".join(sorted(made_by[node_id])):
                item.made_by = ", ".join(sorted(made_by[node_id]))
                item.setToolTip(item._tooltip())
        if self.edge_layer is not None:
            scene.removeItem(self.edge_layer)
        self.edge_layer = EdgeLayer(links, [item.sceneBoundingRect() for item in self.nodes.values()])
        scene.addItem(self.edge_layer)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-40, -40, 40, 40))
        self.apply_filter(self._filter)

    def update_node(self, record: CheckpointRecord) -> None:
        """A changed record (a new measurement, a moved file): repaint its node in place."""
        item = self.nodes.get(record.id)
        if item is not None:
            item.record = record
            item.setToolTip(item._tooltip())
            item.update()

    def selected_id(self) -> int | None:
        for node_id, item in self.nodes.items():
            if item.isSelected():
                return node_id
        return None

    def select(self, checkpoint_id: int, emit: bool = False) -> None:
        self.scene().clearSelection()
        item = self.nodes.get(checkpoint_id)
        if item is not None:
            item.setSelected(True)
            self.ensureVisible(item)
            if emit:
                self.checkpointSelected.emit(checkpoint_id)

    def apply_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        for item in self.nodes.values():
            r = item.record
            haystack = f"{r.qualified_name} {r.role} {r.framing}".lower()
            item.dimmed = bool(self._filter) and self._filter not in haystack
            item.update()

    # -- view ----------------------------------------------------------------------------

    def zoom_by(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(0.1 / current, min(4.0 / current, factor))
        self.scale(factor, factor)

    def zoom_level(self) -> float:
        return self.transform().m11()

    def set_zoom(self, level: float) -> None:
        self.resetTransform()
        self.scale(level, level)

    # Below this zoom a node's small print would be under ~9 px: fit scrolls instead.
    READABLE_ZOOM = 0.9

    def fit(self) -> None:
        """The whole family if it fits at a readable size; otherwise a readable zoom,
        scrolled to the selected node (or the first generation)."""
        if not self.nodes:
            return
        bounds = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        self.fitInView(bounds, Qt.KeepAspectRatio)
        if self.zoom_level() > 1.2:
            self.set_zoom(1.2)
        elif self.zoom_level() < self.READABLE_ZOOM:
            self.set_zoom(self.READABLE_ZOOM)
            selected = self.nodes.get(self.selected_id())
            if selected is not None:
                self.centerOn(selected)
            else:
                self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())
                self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())

    def wheelEvent(self, event):
        if event.angleDelta().y():
            self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)

    def contextMenuEvent(self, event):
        item = self.itemAt(event.pos())
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if item is None:
            return
        self.select(item.record.id, emit=True)
        menu = QMenu(self)
        for action, text in (("sample", "Sample gallery"), ("evaluate", "Evaluate bpc…"), ("breed_a", "Breed: set as parent A"),
                             ("breed_b", "Breed: set as parent B"), ("export", "Export checkpoint…"), ("reveal", "Reveal file"),
                             ("remove", "Remove from library")):
            act = QAction(text, menu)
            act.triggered.connect(lambda checked=False, a=action, i=item.record.id: self.actionRequested.emit(a, i))
            if action in ("sample", "evaluate", "breed_a", "breed_b", "export", "reveal") and not item.record.exists:
                act.setEnabled(False)
            menu.addAction(act)
            if action in ("evaluate", "breed_b", "reveal"):
                menu.addSeparator()
        menu.exec(event.globalPos())

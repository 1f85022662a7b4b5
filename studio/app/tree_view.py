"""The family tree: checkpoints as nodes, parent -> child edges labelled by method.

Layout is layered by generation (a node's layer is one more than its deepest
parent), left to right; within a layer, nodes are ordered by the mean position of
their parents (barycenter), which keeps most edges from crossing. Items cache
their painting, so panning and zooming stay smooth with hundreds of nodes.

Drag a node onto another node to breed them, or onto a slot of the breeding bay.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from PySide6.QtCore import QByteArray, QLineF, QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QDrag, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QMenu

from studio.app import figures, palette
from studio.model.vigor import VigorReport
from studio.app.palette import ROLE_COLORS
from studio.library import CheckpointRecord, Edge

MIME_CHECKPOINT = "application/x-darwascii-checkpoint"
NODE_W, NODE_H = 190, 62


def elide_path(name: str, metrics, width: float, folder_counts: Counter | None = None) -> str:
    """`name` ("replicates/seed1/independent/indA") made to fit `width` by whole folders.

    The qualified name tells apehex/styleA from uncond/styleA and seed1's indA from
    seed2's. Eliding characters in the middle cut "seed1" in half. This drops whole
    folders instead, those most names in the family share first (`folder_counts`: how
    many names each folder is in; "replicates" says less than "seed1"), then those nearest
    the model's own name, which always stays ("…/seed1/…/indA"). Only then are characters
    elided.
    """
    if metrics.horizontalAdvance(name) <= width:
        return name
    *folders, own = name.split("/")
    counts = folder_counts or Counter()
    order = sorted(range(len(folders)), key=lambda i: (-counts[folders[i]], -i))
    dropped: set[int] = set()
    candidate = own
    for i in order:
        dropped.add(i)
        shown: list[str] = []
        for j, folder in enumerate(folders):
            if j not in dropped:
                shown.append(folder)
            elif not shown or shown[-1] != "…":
                shown.append("…")
        candidate = "/".join(shown + [own])
        if metrics.horizontalAdvance(candidate) <= width:
            return candidate
    return metrics.elidedText(candidate, Qt.ElideMiddle, width)


LAYER_GAP, ROW_GAP = 90, 22


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
        if VigorReport.readable(vigor):
            lines += ["", *figures.vigor_lines(vigor)]
        others = len(r.measurements) - 1
        if others > 0:
            lines.append(
                f"(+{others} measurement{'s' if others > 1 else ''} on other data: Evaluate… or the breeding bay)"
            )
        return "\n".join(lines)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, NODE_W, NODE_H)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = self.record
        color = QColor(ROLE_COLORS.get(r.role, palette.ACCENT))
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.45:
            # Too small to read: a block in the role's colour, outlined when selected.
            painter.setPen(QPen(QColor(palette.TEXT), 0) if self.isSelected() else Qt.NoPen)
            painter.setBrush(color.darker(140) if not self.dimmed else QColor(palette.DIMMED))
            painter.drawRect(self.boundingRect())
            return
        painter.setRenderHint(QPainter.Antialiasing)
        background = QColor(palette.ELEVATED) if not self._hover else QColor(palette.ELEVATED_HOVER)
        if self.isSelected():
            background = QColor(palette.SELECTION)
        painter.setOpacity(0.35 if self.dimmed else 1.0)
        border = QPen(
            color if (self.isSelected() or self._drop_target) else QColor(palette.BORDER_STRONG),
            2 if self.isSelected() or self._drop_target else 1,
        )
        if r.role == "missing" or (r.path and not r.exists):
            border.setStyle(Qt.DashLine)
        painter.setPen(border)
        painter.setBrush(background)
        painter.drawRoundedRect(self.boundingRect().adjusted(1, 1, -1, -1), 8, 8)
        painter.fillRect(QRectF(1, 8, 4, NODE_H - 16), color)
        painter.setPen(QColor(palette.TEXT))
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(9.5)
        painter.setFont(font)
        painter.drawText(
            QRectF(12, 6, NODE_W - 20, 18),
            Qt.AlignLeft | Qt.AlignVCenter,
            elide_path(r.qualified_name, painter.fontMetrics(), NODE_W - 20, self.view.folder_counts),
        )
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
        painter.setPen(QColor(palette.TEXT_DIM))
        framing = {"conditional": "cond", "unconditional": "uncond", "text": "text"}.get(r.framing, r.framing)
        painter.drawText(QRectF(badge_rect.right() + 6, 27, 60, 15), Qt.AlignLeft | Qt.AlignVCenter, framing)
        metric = r.key_metric
        if metric is not None:
            name, value = metric
            label = "bpc" if "bpc" in name else "loss"
            painter.setPen(QColor(palette.TEXT))
            text = f"{label} {value:.3f}"
            if r.headline is not None:  # what it was measured on, in short: the split
                text += f" · {r.headline.get('data', {}).get('split') or 'text'}"
            painter.drawText(QRectF(12, 43, NODE_W - 20, 15), Qt.AlignLeft | Qt.AlignVCenter, text)
            vigor = r.metrics.get("vigor")
            if VigorReport.readable(vigor):
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


class _RectGrid:
    """Rectangles filed by the cells of a coarse grid, so "does this one overlap any?"
    looks only at its own cells: label placement is linear in the edges, not quadratic
    (a 10,000-checkpoint library spent 30 s here, 39 million intersection tests)."""

    def __init__(self, rects=(), cell_w: float = 256.0, cell_h: float = 64.0):
        self.cell_w, self.cell_h = cell_w, cell_h
        self.cells: dict[tuple[int, int], list[QRectF]] = defaultdict(list)
        for rect in rects:
            self.add(rect)

    def _cells(self, rect: QRectF):
        x0, x1 = int(rect.left() // self.cell_w), int(rect.right() // self.cell_w)
        y0, y1 = int(rect.top() // self.cell_h), int(rect.bottom() // self.cell_h)
        return ((x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))

    def add(self, rect: QRectF) -> None:
        for cell in self._cells(rect):
            self.cells[cell].append(rect)

    def hits(self, rect: QRectF) -> bool:
        return any(rect.intersects(other) for cell in self._cells(rect) for other in self.cells.get(cell, ()))


class EdgeLayer(QGraphicsItem):
    """Every parent -> child edge in one item: one path to stroke, labels drawn only when legible.

    Hundreds of separate path and text items made each repaint cost ~250 ms at 500
    nodes; one combined path and level-of-detail labels keep zoom and pan smooth.
    """

    LABEL_MIN_ZOOM = 0.45  # the same threshold below which nodes drop their text

    LABEL_FONT_PT = 7.5
    LABEL_MAX_WIDTH = 84  # a longer label is elided (the child's tooltip says it whole)

    def __init__(self, links: list[tuple[QPointF, QPointF, str]], obstacles: list[QRectF] = (), ends=None):
        """``links``: (start, end, method) per edge; ``ends``: (parent id, child id) per
        edge, so that edges which say the same thing share one label."""
        super().__init__()
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption)
        self.curves: list[QPainterPath] = []
        self.lines: list[QLineF] = []
        self.labels: list[tuple[QRectF, str]] = []
        self.methods: list[str] = []
        bounds = QRectF()
        for p0, p1, method in links:
            curve = QPainterPath(p0)
            dx = (p1.x() - p0.x()) / 2
            curve.cubicTo(p0 + QPointF(dx, 0), p1 - QPointF(dx, 0), p1)
            self.curves.append(curve)
            self.lines.append(QLineF(p0, p1))
            self.methods.append(method)
            bounds = bounds.united(curve.boundingRect())
        # nodes, then each label as it is placed
        self._place_labels(
            list(ends) if ends is not None else [(i, i) for i in range(len(links))], _RectGrid(obstacles)
        )
        self._bounds = bounds.adjusted(-60, -20, 60, 20)

    def _place_labels(self, ends: list[tuple[int, int]], taken: _RectGrid) -> None:
        """One label per thing said: a child's parents joined by one method share one label
        near the child ("slerp"); a parent's children made by one method share one near the
        parent ("fork ×5"); any other edge has its own. Each goes on the first spot along its
        curve clear of the nodes and of the labels placed so far; a label with no clear spot
        is left out (the child's tooltip names how it was made)."""
        font = QFont()
        font.setPointSizeF(self.LABEL_FONT_PT)
        metrics = QFontMetricsF(font)
        by_child, by_parent = defaultdict(list), defaultdict(list)
        for edge, (_parent, child) in enumerate(ends):
            by_child[(child, self.methods[edge])].append(edge)
        groups = []  # (edge the label sits on, text, spots along it)
        near_parent, near_child, middle = (
            (0.25, 0.35, 0.15, 0.45),
            (0.8, 0.7, 0.9, 0.6),
            (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8),
        )
        for (_child, method), edges in by_child.items():
            if len(edges) > 1:
                groups.append((edges[0], method, near_child))
            else:
                by_parent[(ends[edges[0]][0], method)].append(edges[0])
        for (_parent, method), edges in by_parent.items():
            if len(edges) > 1:
                # the middle edge of the fan: its label sits where the fan starts
                ordered = sorted(edges, key=lambda e: self.lines[e].p2().y())
                groups.append((ordered[len(ordered) // 2], f"{method} ×{len(edges)}", near_parent))
            else:
                groups.append((edges[0], method, middle))
        for edge, text, spots in groups:
            text = metrics.elidedText(text, Qt.ElideRight, self.LABEL_MAX_WIDTH)
            width, height = metrics.horizontalAdvance(text) + 6, metrics.height()
            curve = self.curves[edge]
            for percent in spots:
                point = curve.pointAtPercent(percent)
                rect = QRectF(point.x() - width / 2, point.y() - height - 2, width, height)
                if not taken.hits(rect):
                    taken.add(rect)
                    self.labels.append((rect, text))
                    break

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
        pen = QPen(QColor(palette.EDGE), 1.4 if zoom >= self.LABEL_MIN_ZOOM else 1.0)
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
        painter.setPen(QColor(palette.TEXT_FAINT))
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
        self.setBackgroundBrush(QColor(palette.WINDOW))
        self.setAcceptDrops(True)
        self.nodes: dict[int, NodeItem] = {}
        self.folder_counts: Counter = Counter()  # how many names each folder is in (see elide_path)
        self.edge_layer: EdgeLayer | None = None
        self._filter = ""
        self._match_index = -1

    # -- content ------------------------------------------------------------------------

    def set_family(self, records: list[CheckpointRecord], edges: list[Edge]) -> None:
        """Lay the family out again: known nodes move (and take their new record), new
        ones are added, gone ones removed; the scene itself is never cleared."""
        scene = self.scene()
        wanted = {r.id for r in records}
        for gone in [i for i in self.nodes if i not in wanted]:
            scene.removeItem(self.nodes.pop(gone))
        positions = layered_layout([r.id for r in records], edges)
        self.folder_counts = Counter(f for r in records for f in set(r.qualified_name.split("/")[:-1]))
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
        links, ends = [], []
        for edge in edges:
            if edge.parent_id not in self.nodes or edge.child_id not in self.nodes:
                continue
            start = self.nodes[edge.parent_id].sceneBoundingRect()
            end = self.nodes[edge.child_id].sceneBoundingRect()
            links.append(
                (QPointF(start.right(), start.center().y()), QPointF(end.left(), end.center().y()), edge.method)
            )
            ends.append((edge.parent_id, edge.child_id))
        made_by = defaultdict(set)
        for edge in edges:
            made_by[edge.child_id].add(edge.method)
        for node_id, item in self.nodes.items():
            if item.made_by != ", ".join(sorted(made_by[node_id])):
                item.made_by = ", ".join(sorted(made_by[node_id]))
                item.setToolTip(item._tooltip())
        if self.edge_layer is not None:
            scene.removeItem(self.edge_layer)
        self.edge_layer = EdgeLayer(links, [item.sceneBoundingRect() for item in self.nodes.values()], ends)
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
        """Dim the nodes that do not match and bring the matches into view (centred)."""
        self._filter = text.strip().lower()
        for item in self.nodes.values():
            r = item.record
            haystack = f"{r.qualified_name} {r.role} {r.framing}".lower()
            item.dimmed = bool(self._filter) and self._filter not in haystack
            item.update()
        self._match_index = -1
        if self._filter:
            self.show_matches()

    def matches(self) -> list[NodeItem]:
        """The nodes the filter keeps, in reading order (generation, then row)."""
        if not self._filter:
            return []
        found = [item for item in self.nodes.values() if not item.dimmed]
        return sorted(found, key=lambda item: (item.pos().x(), item.pos().y()))

    def show_matches(self) -> None:
        """Centre the matches: all of them if they fit in the view at this zoom, else the first."""
        found = self.matches()
        if not found:
            return
        bounds = QRectF()
        for item in found:
            bounds = bounds.united(item.sceneBoundingRect())
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        if bounds.width() <= visible.width() and bounds.height() <= visible.height():
            self.centerOn(bounds.center())
        else:
            self.centerOn(found[0])

    def next_match(self) -> None:
        """Enter in the filter: centre the next match (and select it), round and round."""
        found = self.matches()
        if not found:
            return
        self._match_index = (self._match_index + 1) % len(found)
        item = found[self._match_index]
        self.select(item.record.id, emit=True)
        self.centerOn(item)

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
        """The whole family if it fits at a readable size; otherwise a readable zoom that
        starts at the first generation (the left column is never cut), scrolled down to
        the selected node when it is in view from there."""
        if not self.nodes:
            return
        bounds = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        self.fitInView(bounds, Qt.KeepAspectRatio)
        if self.zoom_level() > 1.2:
            self.set_zoom(1.2)
        elif self.zoom_level() < self.READABLE_ZOOM:
            self.set_zoom(self.READABLE_ZOOM)
            visible = self.mapToScene(self.viewport().rect()).boundingRect()
            left = bounds.left() + visible.width() / 2  # the left edge of the family at the view's left
            selected = self.nodes.get(self.selected_id())
            if selected is not None and selected.sceneBoundingRect().right() <= bounds.left() + visible.width():
                y = selected.sceneBoundingRect().center().y()
            else:
                y = bounds.top() + visible.height() / 2
            self.centerOn(left, y)

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
        for action, text in (
            ("sample", "Sample gallery"),
            ("evaluate", "Evaluate bpc…"),
            ("breed_a", "Breed: set as parent A"),
            ("breed_b", "Breed: set as parent B"),
            ("export", "Export checkpoint…"),
            ("reveal", "Reveal file"),
            ("heldout", "Held-out data for its folder…"),
            ("remove", "Remove from library"),
        ):
            act = QAction(text, menu)
            act.triggered.connect(lambda checked=False, a=action, i=item.record.id: self.actionRequested.emit(a, i))
            if (
                action in ("sample", "evaluate", "breed_a", "breed_b", "export", "reveal", "heldout")
                and not item.record.exists
            ):
                act.setEnabled(False)
            menu.addAction(act)
            if action in ("evaluate", "breed_b", "heldout"):
                menu.addSeparator()
        menu.exec(event.globalPos())

"""Event-log ingestion: door logs, verified events, gaps, quarantine.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('door_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('boot', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('node_time', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Integer(), nullable=False),
    sa.Column('extra', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.BigInteger(), nullable=False),
    sa.Column('record', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['door_id'], ['doors.id'], name=op.f('fk_door_events_door_id_doors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_events')),
    sa.UniqueConstraint('door_id', 'log_id', 'seq', name=op.f('uq_door_events_door_id_log_id_seq'))
    )
    op.create_index(op.f('ix_door_events_card_id'), 'door_events', ['card_id'], unique=False)
    op.create_index('ix_door_events_door_at', 'door_events', ['door_id', 'at'], unique=False)
    op.create_index(op.f('ix_door_events_received_at'), 'door_events', ['received_at'], unique=False)
    op.create_table('door_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.BigInteger(), nullable=False),
    sa.Column('origin', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.String(length=40), nullable=True),
    sa.Column('stored_to', sa.BigInteger(), nullable=False),
    sa.Column('stored_tag', sa.BigInteger(), nullable=True),
    sa.Column('max_seq', sa.BigInteger(), nullable=False),
    sa.Column('reported_head', sa.BigInteger(), nullable=False),
    sa.Column('reported_head_tag', sa.BigInteger(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('node_first', sa.BigInteger(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_upload', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['door_id'], ['doors.id'], name=op.f('fk_door_logs_door_id_doors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_logs')),
    sa.UniqueConstraint('door_id', 'log_id', name=op.f('uq_door_logs_door_id_log_id'))
    )
    op.create_index(op.f('ix_door_logs_door_id'), 'door_logs', ['door_id'], unique=False)
    op.create_table('event_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.BigInteger(), nullable=False),
    sa.Column('from_seq', sa.BigInteger(), nullable=False),
    sa.Column('to_seq', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['door_id'], ['doors.id'], name=op.f('fk_event_gaps_door_id_doors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_gaps')),
    sa.UniqueConstraint('door_id', 'log_id', 'from_seq', name=op.f('uq_event_gaps_door_id_log_id_from_seq'))
    )
    op.create_index(op.f('ix_event_gaps_door_id'), 'event_gaps', ['door_id'], unique=False)
    op.create_table('event_quarantine',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.BigInteger(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('header', sa.LargeBinary(), nullable=False),
    sa.Column('record', sa.LargeBinary(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=60), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['door_id'], ['doors.id'], name=op.f('fk_event_quarantine_door_id_doors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_quarantine'))
    )
    op.create_index(op.f('ix_event_quarantine_door_id'), 'event_quarantine', ['door_id'], unique=False)
    op.create_index(op.f('ix_event_quarantine_received_at'), 'event_quarantine', ['received_at'], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f('ix_event_quarantine_received_at'), table_name='event_quarantine')
    op.drop_index(op.f('ix_event_quarantine_door_id'), table_name='event_quarantine')
    op.drop_table('event_quarantine')
    op.drop_index(op.f('ix_event_gaps_door_id'), table_name='event_gaps')
    op.drop_table('event_gaps')
    op.drop_index(op.f('ix_door_logs_door_id'), table_name='door_logs')
    op.drop_table('door_logs')
    op.drop_index(op.f('ix_door_events_received_at'), table_name='door_events')
    op.drop_index('ix_door_events_door_at', table_name='door_events')
    op.drop_index(op.f('ix_door_events_card_id'), table_name='door_events')
    op.drop_table('door_events')
    # ### end Alembic commands ###

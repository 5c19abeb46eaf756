"""The first schema: registry, persons, cards, card lists, users, audit trail.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('code', name=op.f('uq_districts_code'))
    )
    op.create_table('streets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('police_station_zh', sa.String(length=100), nullable=False),
    sa.Column('police_station_en', sa.String(length=100), nullable=False),
    sa.Column('door_target', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_streets_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_streets')),
    sa.UniqueConstraint('code', name=op.f('uq_streets_code'))
    )
    op.create_index(op.f('ix_streets_district_id'), 'streets', ['district_id'], unique=False)
    op.create_table('committees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_committees_district_id_districts')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_committees_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committees')),
    sa.UniqueConstraint('code', name=op.f('uq_committees_code')),
    sa.UniqueConstraint('street_id', 'name_zh', name=op.f('uq_committees_street_id_name_zh'))
    )
    op.create_index(op.f('ix_committees_district_id'), 'committees', ['district_id'], unique=False)
    op.create_index(op.f('ix_committees_street_id'), 'committees', ['street_id'], unique=False)
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_sites_committee_id_committees')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_sites_district_id_districts')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_sites_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('committee_id', 'name', name=op.f('uq_sites_committee_id_name'))
    )
    op.create_index(op.f('ix_sites_committee_id'), 'sites', ['committee_id'], unique=False)
    op.create_index(op.f('ix_sites_district_id'), 'sites', ['district_id'], unique=False)
    op.create_index(op.f('ix_sites_street_id'), 'sites', ['street_id'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('token_epoch', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_users_committee_id_committees')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_users_district_id_districts')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_users_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('login', name=op.f('uq_users_login'))
    )
    op.create_index(op.f('ix_users_committee_id'), 'users', ['committee_id'], unique=False)
    op.create_index(op.f('ix_users_district_id'), 'users', ['district_id'], unique=False)
    op.create_index(op.f('ix_users_street_id'), 'users', ['street_id'], unique=False)
    op.create_table('audit_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_login', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    op.create_index(op.f('ix_audit_entries_at'), 'audit_entries', ['at'], unique=False)
    op.create_index(op.f('ix_audit_entries_record_id'), 'audit_entries', ['record_id'], unique=False)
    op.create_index(op.f('ix_audit_entries_user_id'), 'audit_entries', ['user_id'], unique=False)
    op.create_table('buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_buildings_committee_id_committees')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_buildings_district_id_districts')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_buildings_site_id_sites')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_buildings_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings')),
    sa.UniqueConstraint('site_id', 'name', name=op.f('uq_buildings_site_id_name'))
    )
    op.create_index(op.f('ix_buildings_committee_id'), 'buildings', ['committee_id'], unique=False)
    op.create_index(op.f('ix_buildings_district_id'), 'buildings', ['district_id'], unique=False)
    op.create_index(op.f('ix_buildings_site_id'), 'buildings', ['site_id'], unique=False)
    op.create_index(op.f('ix_buildings_street_id'), 'buildings', ['street_id'], unique=False)
    op.create_table('doors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('install_type', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('node_id', sa.String(length=40), nullable=True),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_doors_building_id_buildings')),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_doors_committee_id_committees')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_doors_district_id_districts')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_doors_site_id_sites')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_doors_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doors')),
    sa.UniqueConstraint('building_id', 'name', name=op.f('uq_doors_building_id_name')),
    sa.UniqueConstraint('node_id', name=op.f('uq_doors_node_id'))
    )
    op.create_index(op.f('ix_doors_building_id'), 'doors', ['building_id'], unique=False)
    op.create_index(op.f('ix_doors_committee_id'), 'doors', ['committee_id'], unique=False)
    op.create_index(op.f('ix_doors_district_id'), 'doors', ['district_id'], unique=False)
    op.create_index(op.f('ix_doors_site_id'), 'doors', ['site_id'], unique=False)
    op.create_index(op.f('ix_doors_street_id'), 'doors', ['street_id'], unique=False)
    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('document_type', sa.String(length=12), nullable=False),
    sa.Column('document_cipher', sa.LargeBinary(), nullable=False),
    sa.Column('document_lookup', sa.String(length=64), nullable=False),
    sa.Column('document_masked', sa.String(length=40), nullable=False),
    sa.Column('household', sa.String(length=12), nullable=True),
    sa.Column('residence_permit', sa.String(length=10), nullable=True),
    sa.Column('elderly_alone', sa.Boolean(), nullable=False),
    sa.Column('disability', sa.Boolean(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('card_id', sa.BigInteger(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moved_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_persons_building_id_buildings')),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_persons_committee_id_committees')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_persons_district_id_districts')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_persons_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('card_id', name=op.f('uq_persons_card_id')),
    sa.UniqueConstraint('document_lookup', name=op.f('uq_persons_document_lookup'))
    )
    op.create_index(op.f('ix_persons_building_id'), 'persons', ['building_id'], unique=False)
    op.create_index('ix_persons_building_state', 'persons', ['building_id', 'state'], unique=False)
    op.create_index(op.f('ix_persons_committee_id'), 'persons', ['committee_id'], unique=False)
    op.create_index(op.f('ix_persons_district_id'), 'persons', ['district_id'], unique=False)
    op.create_index(op.f('ix_persons_street_id'), 'persons', ['street_id'], unique=False)
    op.create_table('cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.BigInteger(), nullable=False),
    sa.Column('issue', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_cards_person_id_persons')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cards_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('card_id', 'issue', name=op.f('uq_cards_card_id_issue'))
    )
    op.create_index(op.f('ix_cards_card_id'), 'cards', ['card_id'], unique=False)
    op.create_index(op.f('ix_cards_person_id'), 'cards', ['person_id'], unique=False)
    op.create_index('one_live_card_per_person', 'cards', ['person_id'], unique=True, sqlite_where=sa.text("state IN ('issued', 'active')"), postgresql_where=sa.text("state IN ('issued', 'active')"))
    op.create_table('door_card_lists',
    sa.Column('door_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['door_id'], ['doors.id'], name=op.f('fk_door_card_lists_door_id_doors')),
    sa.PrimaryKeyConstraint('door_id', name=op.f('pk_door_card_lists'))
    )
    op.create_table('door_grants',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('door_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['door_id'], ['doors.id'], name=op.f('fk_door_grants_door_id_doors')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_door_grants_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'door_id', name=op.f('pk_door_grants'))
    )
    op.create_index(op.f('ix_door_grants_door_id'), 'door_grants', ['door_id'], unique=False)


def downgrade() -> None:
    for table in ("door_card_lists", "door_grants", "cards", "persons", "doors", "buildings",
                  "audit_entries", "users", "sites", "committees", "streets", "districts"):
        op.drop_table(table)

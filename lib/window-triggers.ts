// The window triggers, in one place: the file that installs each (sql/), the file that
// drops it (rollback/), and whether the handover removes it. migrations/0003 installs
// and undoes them from this list, `status` and the report show it, `handover` drops
// the ones listed as `handover: 'drop'` and may install the sign-up keeper.
export interface WindowTrigger {
  table: string;
  trigger: string;
  install: string;
  drop: string;
}

export const WINDOW_TRIGGERS: WindowTrigger[] = [
  { table: 'User', trigger: 'emailai_migration_user_inserted', install: '321_window_trigger_user_inserted.sql', drop: '321_window_trigger_user_inserted.sql' },
  { table: 'User', trigger: 'emailai_migration_user_premium_changed', install: '322_window_trigger_user_premium_changed.sql', drop: '322_window_trigger_user_premium_changed.sql' },
  { table: 'EmailAccount', trigger: 'emailai_migration_email_account_written', install: '323_window_trigger_email_account_written.sql', drop: '323_window_trigger_email_account_written.sql' },
  { table: 'Rule', trigger: 'emailai_migration_rule_inserted', install: '324_window_trigger_rule_inserted.sql', drop: '324_window_trigger_rule_inserted.sql' },
  { table: 'Group', trigger: 'emailai_migration_group_inserted', install: '325_window_trigger_group_inserted.sql', drop: '325_window_trigger_group_inserted.sql' },
  { table: 'Knowledge', trigger: 'emailai_migration_knowledge_inserted', install: '326_window_trigger_knowledge_inserted.sql', drop: '326_window_trigger_knowledge_inserted.sql' },
  { table: 'Category', trigger: 'emailai_migration_category_inserted', install: '327_window_trigger_category_inserted.sql', drop: '327_window_trigger_category_inserted.sql' },
  { table: 'User', trigger: 'emailai_migration_user_deleted', install: '328_window_trigger_user_deleted.sql', drop: '328_window_trigger_user_deleted.sql' },
];

/**
 * The opt-in sign-up keeper of `handover --keep-signup-organizations` (handover/410):
 * not a window trigger; it stays until cleanup, which drops it with the others.
 */
export const SIGNUP_KEEPER: WindowTrigger = {
  table: 'User', trigger: 'emailai_migration_signup_keeper', install: '410_signup_keeper_trigger.sql', drop: '329_signup_keeper_trigger.sql',
};
